"""A blocking stream of model events, read by the event loop without holding a pool thread.

Each request runs its blocking work (loading the model on first use, then reading the engine
host's replies) on a thread of its own and hands every event to the event loop. A request that
waits for a free slot therefore holds no shared worker, and a client that goes away cancels its
reply: a streamed reply notices at its next write, a whole reply within LOOK_S; the reply's CancelToken
reaches the engine host at its next token (engines/host/chat.py), whose scheduler frees the slot at
its next step.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from engines.jobs import CancelToken

_STARTED = object()
_END = object()
LOOK_S = 0.1  # how often a whole-reply request asks whether its client is still there

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
        """Every event, cancelling the reply if `gone()` (awaitable) says the client left. Nothing is
        written to a client that waits for a whole reply, so its leaving shows only when asked: every
        LOOK_S, whether events flow or not (a reply writing tokens would otherwise run to max_tokens).
        One getter waits on the queue throughout (asyncio.wait, unlike wait_for, never cancels it, so
        no event can be lost to a timeout)."""
        loop = asyncio.get_running_loop()
        items: list[Any] = []
        look_at = loop.time() + LOOK_S
        getter: asyncio.Task[Any] | None = None
        try:
            while True:
                getter = getter or asyncio.ensure_future(self._next())
                done, _ = await asyncio.wait({getter}, timeout=max(0.0, look_at - loop.time()))
                if loop.time() >= look_at:
                    look_at = loop.time() + LOOK_S
                    if await gone():
                        self.cancel.cancel()
                if not done:
                    continue
                item, getter = getter.result(), None  # raises what the stream raised
                if item is _END:
                    return items
                items.append(item)
        finally:
            if getter is not None:
                getter.cancel()
            self.cancel.cancel()
