"""A fake OpenAI-compatible "bigger machine" on 127.0.0.1, and a guard that fails any other connect.

The server answers `/v1/models` and streams `/v1/chat/completions` as server-sent events. Its reply
is made by `answer(messages)` (by default it echoes the last user message), split into pieces; it
can drop the connection after some pieces, stall, redirect, or demand an API key. It records every
request (path, headers, body) so tests can check what was sent.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engines.security.socket_audit import is_loopback_host


@dataclass
class Behaviour:
    models: list[dict[str, Any]] = field(default_factory=lambda: [{"id": "big-model", "object": "model"}])
    answer: Callable[[list[dict[str, str]]], str] = lambda messages: "echo: " + messages[-1]["content"]
    piece_chars: int = 4
    drop_after: int | None = None  # pieces sent before the connection is cut (once, then it heals)
    stall_after: int | None = None  # pieces sent before the server goes silent (until stopped)
    api_key: str | None = None
    redirect_to: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _record(self, body: dict[str, Any] | None) -> bool:
        behaviour = self.server.behaviour
        behaviour.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if behaviour.redirect_to:
            self._json(302, {}, {"Location": behaviour.redirect_to})
            return False
        if behaviour.api_key and self.headers.get("Authorization") != f"Bearer {behaviour.api_key}":
            self._json(401, {"error": {"message": "Invalid API Key", "type": "authentication_error"}})
            return False
        return True

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if not self._record(None):
            return
        if self.path == "/v1/models":
            self._json(200, {"object": "list", "data": self.server.behaviour.models})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._record(body):
            return
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        known = [m["id"] for m in self.server.behaviour.models]
        if body.get("model") not in known:
            self._json(404, {"error": {"message": f"model '{body.get('model')}' not found"}})
            return
        self._stream(body)

    def _event(self, data: dict[str, Any] | str) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        raw = f"data: {text}\n\n".encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def _stream(self, body: dict[str, Any]) -> None:
        behaviour = self.server.behaviour
        text = behaviour.answer(body["messages"])
        pieces = [text[i:i + behaviour.piece_chars] for i in range(0, len(text), behaviour.piece_chars)]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, piece in enumerate(pieces):
            if behaviour.drop_after is not None and index == behaviour.drop_after:
                behaviour.drop_after = None
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if behaviour.stall_after is not None and index == behaviour.stall_after:
                self.server.stopping.wait(30)
                return
            self._event({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._event({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": len(pieces)}})
        self._event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.stopping = threading.Event()


@dataclass
class FakeServer:
    server: _Server
    thread: threading.Thread
    scheme: str = "http"

    @property
    def behaviour(self) -> Behaviour:
        return self.server.behaviour

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def start_server(behaviour: Behaviour | None = None, tls: ssl.SSLContext | None = None) -> FakeServer:
    server = _Server(behaviour or Behaviour())
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return FakeServer(server, thread, "https" if tls else "http")


@pytest.fixture(name="fake_server")
def fake_server_fixture() -> Iterator[FakeServer]:
    server = start_server()
    yield server
    server.stop()
    time.sleep(0.05)  # let the handler threads finish


@pytest.fixture(name="loopback_only")
def loopback_only_fixture(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail, before it happens, any connect to an address other than loopback; the list records attempts."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_create = socket.create_connection

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        if isinstance(address, tuple) and not is_loopback_host(address[0]):
            raise AssertionError(f"a connect to {address!r} was attempted")
        real_connect(self, address)

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append(address)
        if not is_loopback_host(address[0]):
            raise AssertionError(f"a connection to {address!r} was attempted")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


class CuttingProxy:
    """A loopback TCP proxy in front of a real server that, when `cut_after` is set, closes the next
    connection once that many server-sent events have passed (a network that drops mid-reply)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.cut_after: int | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True, name="cutting-proxy")
        self._accept.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            cut, self.cut_after = self.cut_after, None
            for source, sink, limit in ((client, upstream, None), (upstream, client, cut)):
                thread = threading.Thread(target=self._pipe, args=(source, sink, limit, (client, upstream)),
                                          daemon=True, name="cutting-proxy-pipe")
                thread.start()
                self._threads.append(thread)

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None,
              both: tuple[socket.socket, socket.socket]) -> None:
        """Copy bytes; with `limit`, stop just before the event after the first `limit` ones."""
        events = 0
        try:
            while not self._stop.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None:
                    at = _nth(data, b"data:", limit - events)
                    events += data.count(b"data:")
                    if at is not None:
                        sink.sendall(data[:at])
                        break
                sink.sendall(data)
        except OSError:
            pass
        for sock in both:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._accept.join(5)
        for thread in self._threads:
            thread.join(5)


def _nth(data: bytes, marker: bytes, n: int) -> int | None:
    """Where the (n+1)-th `marker` starts in `data` (n already-counted ones skipped), or None."""
    at = -1
    for _ in range(max(0, n) + 1):
        at = data.find(marker, at + 1)
        if at < 0:
            return None
    return at
