"""A Hugging Face-compatible hub on 127.0.0.1 for tests and benchmarks, with fault injection.

Two listeners, like the real thing: the hub (`/{repo}/resolve/{revision}/{path}`, HEAD and GET)
answers LFS files with a 302 to a separate "CDN" origin that serves the bytes with Range. It sends
the headers huggingface_hub reads (X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag) and its
X-Error-Code values. Faults: drop the connection at a byte, stall, corrupt a byte, answer given
status codes, ignore Range, throttle. Every request is logged with the bytes it was sent.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BLOCK = 64 << 10


@dataclass
class FakeFile:
    data: bytes | None = None
    source: Path | None = None  # large files are served from disk
    lfs: bool = True

    def __post_init__(self) -> None:
        if self.data is not None:
            self.size = len(self.data)
            self.sha256 = hashlib.sha256(self.data).hexdigest()
            blob = hashlib.sha1(f"blob {self.size}\0".encode() + self.data, usedforsecurity=False)
        else:
            assert self.source is not None
            self.size = self.source.stat().st_size
            sha, blob = hashlib.sha256(), hashlib.sha1(f"blob {self.size}\0".encode(), usedforsecurity=False)
            with self.source.open("rb") as fh:
                while chunk := fh.read(8 << 20):
                    sha.update(chunk)
                    blob.update(chunk)
            self.sha256 = sha.hexdigest()
        self.git_sha1 = blob.hexdigest()

    def read(self, start: int, length: int) -> bytes:
        if self.data is not None:
            return self.data[start : start + length]
        assert self.source is not None
        with self.source.open("rb") as fh:
            fh.seek(start)
            return fh.read(length)


@dataclass
class Faults:
    drop_at: list[int] = field(default_factory=list)  # each entry: close once at this absolute byte
    stall_at: list[int] = field(default_factory=list)  # each entry: pause once at this byte...
    stall_seconds: float = 2.0  # ...for this long
    corrupt_at: int | None = None  # flip this byte every time it is sent
    get_statuses: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)  # answered to the next GETs
    head_statuses: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    ignore_range: bool = False
    throttle: float | None = None  # bytes per second for each response


@dataclass
class Repo:
    commit: str
    files: dict[str, FakeFile] = field(default_factory=dict)
    gated: bool = False


@dataclass
class LogEntry:
    method: str
    server: str
    path: str
    status: int
    range_start: int | None = None
    sent: int = 0
    authorization: str | None = None  # the Authorization header the request carried


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.faults = Faults()
        self.log: list[LogEntry] = []
        self.lock = threading.Lock()
        self.active_gets = 0
        self.max_active_gets = 0
        self.stopping = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self.url = ""
        self.cdn_url = ""

    # -- content -----------------------------------------------------------------------------
    def add_file(self, repo: str, path: str, data: bytes | None = None, *, source: Path | None = None,
                 lfs: bool = True, gated: bool = False) -> FakeFile:
        commit = hashlib.sha1(repo.encode(), usedforsecurity=False).hexdigest()
        entry = self.repos.setdefault(repo, Repo(commit=commit))
        entry.gated = entry.gated or gated
        fake = FakeFile(data=data, source=source, lfs=lfs)
        entry.files[path] = fake
        return fake

    def sent_bytes(self, path_suffix: str = "") -> int:
        with self.lock:
            return sum(e.sent for e in self.log if e.method == "GET" and e.path.endswith(path_suffix))

    def gets(self) -> list[LogEntry]:
        with self.lock:
            return [e for e in self.log if e.method == "GET" and e.status in (200, 206)]

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeHub:
        for name in ("hub", "cdn"):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = False
            server.block_on_close = True
            server.hub = self  # type: ignore[attr-defined]
            server.role = name  # type: ignore[attr-defined]
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"fake-{name}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        self.url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}"
        return self

    def stop(self) -> None:
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
_CDN = re.compile(r"^/cdn/(?P<repo>[^/]+/[^/]+)/(?P<path>.+)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def hub(self) -> FakeHub:
        return self.server.hub  # type: ignore[no-any-return]

    def _log(self, status: int, range_start: int | None = None) -> LogEntry:
        entry = LogEntry(self.command, self.server.role, self.path, status, range_start,
                         authorization=self.headers.get("Authorization"))
        with self.hub.lock:
            self.hub.log.append(entry)
        return entry

    def _simple(self, status: int, headers: dict[str, str] | None = None) -> None:
        self._log(status)
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def _handle(self, head: bool) -> None:
        from urllib.parse import unquote

        hub = self.hub
        statuses = hub.faults.head_statuses if head else hub.faults.get_statuses
        if statuses:
            status, headers = statuses.popleft()
            self._simple(status, headers)
            return
        path = unquote(self.path.split("?")[0])
        if self.server.role == "cdn":
            match = _CDN.match(path)
            repo = hub.repos.get(match["repo"]) if match else None
            fake = repo.files.get(match["path"]) if (repo and match) else None
            if fake is None:
                self._simple(404)
                return
            self._serve(fake, head, {"ETag": f'"{fake.sha256}"'})
            return
        match = _RESOLVE.match(path)
        if not match:
            self._simple(404)
            return
        repo = hub.repos.get(match["repo"])
        if repo is None:
            self._simple(401, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"})
            return
        if repo.gated and not self.headers.get("Authorization"):
            self._simple(403, {"X-Error-Code": "GatedRepo", "X-Error-Message": "Access to this repo is restricted"})
            return
        if match["rev"] not in ("main", repo.commit):
            self._simple(404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"})
            return
        fake = repo.files.get(match["path"])
        if fake is None:
            self._simple(404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                               "X-Repo-Commit": repo.commit})
            return
        common = {"X-Repo-Commit": repo.commit}
        if fake.lfs:
            self._simple(302, {
                **common,
                "ETag": f'"{fake.git_sha1}"',
                "X-Linked-Etag": f'"{fake.sha256}"',
                "X-Linked-Size": str(fake.size),
                "Location": f"{hub.cdn_url}/cdn/{match['repo']}/{match['path']}?signature=fake",
            })
            return
        self._serve(fake, head, {**common, "ETag": f'"{fake.git_sha1}"'})

    def _serve(self, fake: FakeFile, head: bool, headers: dict[str, str]) -> None:
        hub = self.hub
        faults = hub.faults
        start, end = 0, fake.size - 1
        header = self.headers.get("Range")
        ranged = False
        if header and not faults.ignore_range:
            m = re.match(r"bytes=(\d+)-(\d*)$", header.strip())
            if m:
                start = int(m[1])
                end = min(int(m[2]), end) if m[2] else end
                ranged = True
                if start >= fake.size:
                    self._simple(416, {"Content-Range": f"bytes */{fake.size}"})
                    return
        status = 206 if ranged else 200
        entry = self._log(status, start if ranged else None)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{end}/{fake.size}")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        with hub.lock:
            hub.active_gets += 1
            hub.max_active_gets = max(hub.max_active_gets, hub.active_gets)
        try:
            self._send_body(fake, start, end, entry)
        except OSError:
            pass  # the client went away
        finally:
            with hub.lock:
                hub.active_gets -= 1

    def _send_body(self, fake: FakeFile, start: int, end: int, entry: LogEntry) -> None:
        hub = self.hub
        faults = hub.faults
        plain = (fake.source is not None and faults.throttle is None and not faults.drop_at
                 and not faults.stall_at and faults.corrupt_at is None)
        if plain:  # the fast path for benchmarks: the kernel copies the file
            assert fake.source is not None
            with fake.source.open("rb") as fh:
                entry.sent = self.connection.sendfile(fh, start, end - start + 1)
            return
        pos = start
        began = time.monotonic()
        while pos <= end and not hub.stopping.is_set():
            size = min(BLOCK, end + 1 - pos)
            with hub.lock:
                drop = next((d for d in faults.drop_at if pos <= d < pos + size), None)
                if drop is not None:
                    faults.drop_at.remove(drop)
                stall = next((s for s in faults.stall_at if pos <= s < pos + size), None)
                if stall is not None:
                    faults.stall_at.remove(stall)
            if drop is not None:
                size = drop - pos
            data = bytearray(fake.read(pos, size))
            if faults.corrupt_at is not None and pos <= faults.corrupt_at < pos + size:
                data[faults.corrupt_at - pos] ^= 0xFF
            if data:
                self.wfile.write(data)
                entry.sent += len(data)
                pos += len(data)
            if drop is not None:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if stall is not None:
                hub.stopping.wait(faults.stall_seconds)
            if faults.throttle:
                ahead = (pos - start) / faults.throttle - (time.monotonic() - began)
                if ahead > 0:
                    hub.stopping.wait(ahead)


def make_blob(size: int, seed: int = 0) -> bytes:
    """Deterministic incompressible-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 64
        counter += 1
    return bytes(out[:size])


if __name__ == "__main__":  # manual use: serve a folder's files as repo "local/files"
    import sys

    hub = FakeHub()
    for file in Path(sys.argv[1]).iterdir():
        if file.is_file():
            hub.add_file("local/files", file.name, source=file)
    hub.start()
    print(hub.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()
        os._exit(0)
