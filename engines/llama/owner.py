"""One thread that owns one native model: every call into it runs there, in order.

llama.cpp contexts are not thread-safe, so the model is created, used and closed on a single
dedicated thread; other threads hand it work and get futures back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from engines.errors import EngineClosedError

T = TypeVar("T")

_STOP = object()


class OwnerThread:
    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._submit_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # delivered to the caller, never lost on this thread
                future.set_exception(exc)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._submit_lock:
            if self._closed:
                raise EngineClosedError("the model has been unloaded")
            self._jobs.put((future, fn))
        return future

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the owner thread and wait for its result (raising what it raised)."""
        if threading.current_thread() is self._thread:
            return fn()
        return self.submit(fn).result()

    def shutdown(self, final: Callable[[], Any] | None = None, timeout: float | None = 30.0) -> None:
        """Run `final` (e.g. closing the model) after queued jobs, then stop the thread."""
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            done: Future[Any] = Future()
            if final is not None:
                self._jobs.put((done, final))
            self._jobs.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def thread(self) -> threading.Thread:
        return self._thread
