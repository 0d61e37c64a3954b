"""An OpenAI-compatible client: `/v1/models` and streaming `/v1/chat/completions` (server-sent events).

Every request is checked by the guard first (engines/remote/guard.py) and connects to a checked
address. A stream that ends before the server said it was finished (a dropped connection, a server
that died) raises RemoteDroppedError after the text that had arrived, so callers keep it; Stop
(the cancel token) shuts the socket down at once and ends the stream as cancelled.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engines.errors import EngineCrashedError
from engines.jobs import CancelToken
from engines.remote.connection import Opened, RemoteError, read_json, request
from engines.remote.guard import Target, check

READ_TIMEOUT_S = 600.0  # a silent server is given up on after this long (as the engine host's watchdog)
CANCEL_POLL_S = 0.05


class RemoteDroppedError(EngineCrashedError):
    """The connection to the remote endpoint was lost mid-reply: what arrived is kept, Retry sends again."""

    def __init__(self, origin: str, detail: str) -> None:
        super().__init__("dropped", detail)
        self.origin = origin
        self.args = (f"the connection to {origin} was lost mid-reply ({detail}); what arrived is kept",)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class RemoteModelInfo:
    id: str
    context_size: int | None = None  # where the server says (llama-server's meta.n_ctx_train, others)


@dataclass
class StreamEnd:
    finish_reason: str  # "stop", "length", or "cancelled" after Stop
    usage: dict[str, Any] = field(default_factory=dict)


class OpenAIClient:
    """One endpoint. `offline` and `confirmed` are the guard's inputs; the key is sent only to this endpoint."""

    def __init__(self, url: str, *, api_key: str | None = None, offline: bool = False, confirmed: bool = False,
                 ca_file: str | None = None, read_timeout: float = READ_TIMEOUT_S) -> None:
        self.url = url
        self.api_key = api_key
        self.offline = offline
        self.confirmed = confirmed
        self.ca_file = ca_file
        self.read_timeout = read_timeout

    def target(self) -> Target:
        return check(self.url, offline=self.offline, confirmed=self.confirmed)

    def list_models(self) -> list[RemoteModelInfo]:
        target = self.target()
        data = read_json(request(target, "GET", "/models", api_key=self.api_key, ca_file=self.ca_file, timeout=30.0))
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise RemoteError(f"{target.origin}/v1/models did not list any models")
        found: list[RemoteModelInfo] = []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
                found.append(RemoteModelInfo(entry["id"], _context_size(entry)))
        return found

    def stream_chat(self, body: dict[str, Any], cancel: CancelToken | None = None) -> Iterator[str | StreamEnd]:
        """Yield the reply's text pieces, then one StreamEnd."""
        target = self.target()
        cancel = cancel or CancelToken()
        opened = request(target, "POST", "/chat/completions", body={**body, "stream": True}, api_key=self.api_key,
                         ca_file=self.ca_file, timeout=self.read_timeout, accept="text/event-stream")
        finished = threading.Event()
        watcher = threading.Thread(target=_abort_on_cancel, args=(opened, cancel, finished), daemon=True,
                                   name="remote-stop")
        watcher.start()
        try:
            yield from _events(opened, target.origin, cancel)
        finally:
            finished.set()
            opened.close()


def _abort_on_cancel(opened: Opened, cancel: CancelToken, finished: threading.Event) -> None:
    while not finished.is_set():
        if cancel.wait(CANCEL_POLL_S):
            opened.abort()
            return


def _events(opened: Opened, origin: str, cancel: CancelToken) -> Iterator[str | StreamEnd]:
    finish: str | None = None
    usage: dict[str, Any] = {}
    for data in _sse_data(opened.response, origin, cancel):
        if data == "[DONE]":
            break
        chunk = _parse(data, origin)
        usage = _usage(chunk) or usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str) and delta["content"] and not cancel.cancelled:
                yield delta["content"]
            if choice.get("finish_reason"):
                finish = str(choice["finish_reason"])
    if cancel.cancelled:
        yield StreamEnd("cancelled", usage)
    elif finish is None:
        raise RemoteDroppedError(origin, "the stream ended before the reply did")
    else:
        yield StreamEnd(finish, usage)


def _sse_data(response: http.client.HTTPResponse, origin: str, cancel: CancelToken) -> Iterator[str]:
    """The `data:` payload of each server-sent event, until the stream ends."""
    while True:
        try:
            line = response.readline(1024 * 1024)
        except (OSError, http.client.HTTPException) as exc:
            if cancel.cancelled:
                return
            raise RemoteDroppedError(origin, _describe(exc)) from exc
        if not line:
            return
        text = line.decode("utf-8", "replace").strip()
        if text.startswith("data:"):
            yield text[5:].strip()
        elif text.startswith("error:"):
            raise RemoteError(f"{origin}: {text[6:].strip()[:300]}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "the server stopped sending"
    if isinstance(exc, http.client.IncompleteRead):
        return "the server closed the connection"
    return getattr(exc, "strerror", None) or type(exc).__name__


def _parse(data: str, origin: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except ValueError as exc:
        raise RemoteError(f"{origin} sent something that is not JSON in the stream") from exc
    if not isinstance(chunk, dict):
        raise RemoteError(f"{origin} sent an unexpected event in the stream")
    error = chunk.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteError(f"{origin}: {str(message)[:300]}")
    return chunk


def _usage(chunk: dict[str, Any]) -> dict[str, Any]:
    usage = chunk.get("usage")
    found: dict[str, Any] = dict(usage) if isinstance(usage, dict) else {}
    timings = chunk.get("timings")  # llama-server's own measurements
    if isinstance(timings, dict):
        found["timings"] = timings
    return found


def _context_size(entry: dict[str, Any]) -> int | None:
    for source in (entry.get("meta"), entry):
        if isinstance(source, dict):
            for key in ("n_ctx", "context_length", "max_model_len", "n_ctx_train"):
                value = source.get(key)
                if isinstance(value, int) and value > 0:
                    return value
    return None
