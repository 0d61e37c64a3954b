"""A blocking stream of model events, read by the event loop without holding a pool thread.

Each request runs its blocking work (loading the model on first use, then reading the engine
host's replies) on a thread of its own and hands every event to the event loop. A request that
waits for a free slot therefore holds no shared worker, and a client that goes away cancels its
reply: the reply's CancelToken reaches the engine host within a poll (engines/host/chat.py), whose
scheduler frees the slot at its next step.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from engines.jobs import CancelToken

_STARTED = object()
_END = object()

Source = Callable[[CancelToken], Iterator[Any]]


class ThreadStream:
    def __init__(self, source: Source, name: str) -> None:
        self.cancel = CancelToken()
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._source = source
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _put(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop has closed (the server is stopping)
            self.cancel.cancel()

    def _run(self) -> None:
        try:
            events = self._source(self.cancel)
            self._put(_STARTED)
            for event in events:
                self._put(event)
        except BaseException as exc:  # delivered to the request, never lost on this thread
            self._put(exc)
        self._put(_END)

    async def _next(self) -> Any:
        item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def started(self) -> None:
        """Wait until the model is loaded and the reply accepted (raises what refused it)."""
        item = await self._next()
        if item is not _STARTED:
            raise RuntimeError("the stream ended before it started")

    async def events(self) -> AsyncIterator[Any]:
        try:
            while True:
                item = await self._next()
                if item is _END:
                    return
                yield item
        finally:
            self.cancel.cancel()  # a no-op after the end; a client that left stops its reply here

    async def collect(self, gone: Callable[[], Any]) -> list[Any]:
        """Every event, cancelling the reply if `gone()` (awaitable) says the client left."""
        items: list[Any] = []
        try:
            while True:
                try:
                    item = await asyncio.wait_for(self._next(), timeout=0.5)
                except asyncio.TimeoutError:
                    if await gone():
                        self.cancel.cancel()
                    continue
                if item is _END:
                    return items
                items.append(item)
        finally:
            self.cancel.cancel()
