"""Background tasks for the GUI: run a function (or a generator) on a pool thread, report on the UI thread.

Modelled on superqt's generator workers and anki's taskman: a `Task` is a QObject living on the
UI thread whose signals (`progressed`, `succeeded`, `failed`, `done`) always fire there, so
callers may connect plain lambdas. The worker thread only ever emits on a private relay, whose
signals reach the Task through queued connections; nothing on the worker touches widgets.

Every `TaskRunner` owns its own QThreadPool, so shutting one down waits only for its own work.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from engines.jobs import CancelToken

log = logging.getLogger(__name__)

_runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


def live_runners() -> list[TaskRunner]:
    """Every runner still alive (the tests' leak guard checks that none has work left)."""
    return list(_runners)


@dataclass(frozen=True)
class Job:
    """What a job function receives on the worker thread: its cancel token and a progress reporter."""

    cancel: CancelToken
    report: Callable[[object], None]  # any item; it reaches the UI thread as `progressed`

    def progress(self, done: int, total: int) -> None:
        """An engines/ `ProgressCallback` (done, total): reported as the tuple (done, total)."""
        self.report((done, total))


class _Relay(QObject):
    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    done = Signal()


class Task(QObject):
    """A job's handle on the UI thread. `cancel` is passed to the job; it decides how to honour it."""

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    done = Signal()  # always last, after succeeded or failed

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel = CancelToken()
        self.finished = False
        self._relay = _Relay()
        self._relay.progressed.connect(self._on_progressed)
        self._relay.succeeded.connect(self._on_succeeded)
        self._relay.failed.connect(self._on_failed)
        self._relay.done.connect(self._on_done)

    @Slot(object)
    def _on_progressed(self, item: object) -> None:
        if not self.finished:
            self.progressed.emit(item)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self.succeeded.emit(result)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self.failed.emit(error)

    @Slot()
    def _on_done(self) -> None:
        self.finished = True
        self.done.emit()


class _Runnable(QRunnable):
    def __init__(self, relay: _Relay, fn: Callable[[CancelToken], Any], cancel: CancelToken, name: str) -> None:
        super().__init__()
        self._relay = relay
        self._fn = fn
        self._cancel = cancel
        self._name = name

    def run(self) -> None:
        relay = self._relay
        try:
            result = self._fn(self._cancel)
            if isinstance(result, Generator):
                generator = result
                while True:
                    try:
                        item = next(generator)
                    except StopIteration as stop:
                        result = stop.value
                        break
                    relay.progressed.emit(item)
            relay.succeeded.emit(result)
        except BaseException as exc:  # reported to the UI thread, never lost on a pool thread
            log.debug("task %s failed: %r", self._name, exc)
            relay.failed.emit(exc)
        finally:
            relay.done.emit()
            self._fn = None  # type: ignore[assignment]  # drop captured objects (an engine) promptly


class TaskRunner(QObject):
    """A pool of worker threads (one thread: jobs run strictly in the order they were started)."""

    def __init__(self, name: str, max_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._pool.setExpiryTimeout(2000)
        self._live: set[Task] = set()
        self._closed = False
        _runners.add(self)

    def start(self, name: str, fn: Callable[[CancelToken], Any]) -> Task:
        """Run `fn(cancel)`; a generator's yields become `progressed`, its return value `succeeded`."""
        task = self._task(name)
        self._pool.start(_Runnable(task._relay, fn, task.cancel, name))
        return task

    def _task(self, name: str) -> Task:
        if self._closed:
            raise RuntimeError(f"the {self.name} runner has been shut down")
        task = Task(name, self)
        self._live.add(task)
        task.done.connect(lambda: self._live.discard(task))
        return task

    def start_job(self, name: str, fn: Callable[[Job], Any]) -> Task:
        """As `start`, but `fn` gets a `Job`, whose `report` adds to the task's `progressed`."""
        task = self._task(name)
        job = Job(task.cancel, task._relay.progressed.emit)
        self._pool.start(_Runnable(task._relay, lambda cancel: fn(job), task.cancel, name))
        return task

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        return bool(self._live) or self._pool.activeThreadCount() > 0

    def active_count(self) -> int:
        return self._pool.activeThreadCount()

    def cancel_all(self) -> None:
        for task in list(self._live):
            task.cancel.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything, wait for the threads to finish and release them. True when all stopped."""
        self._closed = True
        self.cancel_all()
        stopped = bool(self._pool.waitForDone(timeout_ms))
        self._pool.clear()
        self._live.clear()
        _runners.discard(self)
        return stopped
