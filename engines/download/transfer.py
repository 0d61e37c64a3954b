"""Candeia's own byte transfer: one file, resumable with HTTP Range, hashed while it is written.

The `.part` file grows only by whole flushed buffers, so after a crash, a kill or a dropped
connection the next attempt asks for `Range: bytes=<part length>-` and hashes the bytes it
already has once (a running sha256 cannot be saved). A server that ignores Range makes the
file start again; nothing else ever does, except a remote file that changed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import logging
import queue
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from engines.download.control import DownloadControl
from engines.download.endpoint import check_transport, is_loopback, origin
from engines.download.errors import (
    ChecksumMismatchError,
    DiskSpaceError,
    DownloadError,
    HubAccessError,
    NetworkError,
    RemoteNotFoundError,
)
from engines.download.hub_meta import RemoteFile
from engines.download.retry import RetryPolicy, parse_retry_after
from engines.download.state import FileState, load_state, save_state, state_path_for

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20  # the most a crash can lose: bytes received but not yet written
FLUSH_MIN = 256 << 10  # a slow connection still writes every 256 KiB
CHECKPOINT_INTERVAL = 1.0  # seconds between state-file saves
# An fsync on ext4 (data=ordered) also flushes every dirty page of the .part file, so most
# checkpoints are written without one: a rename is still atomic, and the .part length rules anyway.
DURABLE_INTERVAL = 30.0
HASH_BUFFERS = 4  # buffers in flight between the network thread and the hashing thread
MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class TransferResult:
    sha256: str
    size: int
    resumed_from: int  # bytes already on disk when this run started


def _ssl_context() -> ssl.SSLContext:
    # Certificate and host name checks are on (the default) and stay on.
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):
        pass
    return context


_SSL: ssl.SSLContext | None = None


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """An open connection for `url` (through HTTPS_PROXY/HTTP_PROXY when set) and the request target."""
    global _SSL
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxies = {} if is_loopback(host) or urllib.request.proxy_bypass(host) else urllib.request.getproxies()
    proxy = proxies.get(parts.scheme)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        _SSL = _SSL or _ssl_context()
        if proxy:
            p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            conn = http.client.HTTPSConnection(p.hostname or "", p.port or 8080, timeout=timeout, context=_SSL)
            conn.set_tunnel(host, port or 443)
        else:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_SSL)
    elif proxy:
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        conn = http.client.HTTPConnection(p.hostname or "", p.port or 8080, timeout=timeout)
        target = url
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.connect()
    return conn, target


def _write_all(fh: Any, view: memoryview, part: Path) -> None:
    try:
        while view:
            written = fh.write(view)
            view = view[written:]
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise DiskSpaceError(
                f"the disk is full while writing {part.name}; free some space and run the download again to resume"
            ) from None
        raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from None


def _hash_prefix(part: Path, length: int, hasher: Any) -> None:
    with part.open("rb") as fh:
        left = length
        while left:
            block = fh.read(min(8 << 20, left))
            if not block:
                break
            hasher.update(block)
            left -= len(block)


class FileTransfer:
    """Fetch one remote file into `part`, resuming what is there. Call `run()` once per attempt set."""

    def __init__(
        self,
        remote: RemoteFile,
        part: Path,
        *,
        expected_sha256: str | None,
        headers: dict[str, str],
        hub_origin: tuple[str, str, int],
        allow_http: bool,
        policy: RetryPolicy,
        control: DownloadControl,
        on_bytes: Callable[[int], None] | None = None,
        before_connect: Callable[[], None] | None = None,
    ) -> None:
        self.remote = remote
        self.part = part
        self.state_path = state_path_for(part)
        self.expected_sha256 = expected_sha256
        self.headers = headers
        self.hub_origin = hub_origin
        self.allow_http = allow_http
        self.policy = policy
        self.control = control
        self.on_bytes = on_bytes or (lambda n: None)
        self.before_connect = before_connect or (lambda: None)  # may raise (offline mode)

    # -- set-up ---------------------------------------------------------------------------------
    def _prepare(self) -> tuple[FileState, int]:
        wanted = FileState.for_remote(self.remote, self.expected_sha256)
        previous = load_state(self.state_path)
        have = self.part.stat().st_size if self.part.exists() else 0
        if previous is None or not previous.same_bytes(wanted) or (wanted.size is not None and have > wanted.size):
            if have:
                log.info("%s: the partial file belongs to other remote bytes; starting it again", self.part.name)
            self.part.unlink(missing_ok=True)
            have = 0
        self.part.parent.mkdir(parents=True, exist_ok=True)
        wanted.bytes_written = have
        save_state(self.state_path, wanted)
        return wanted, have

    def _new_hashers(self) -> None:
        self._sha = hashlib.sha256()
        # A small file kept in git (not LFS) is also checked against its git blob id.
        self._git: Any = None
        if self.remote.git_sha1 and self.remote.size is not None:
            self._git = hashlib.sha1(usedforsecurity=False)
            self._git.update(f"blob {self.remote.size}\0".encode())

    def run(self) -> TransferResult:
        state, offset = self._prepare()
        resumed_from = offset
        self._new_hashers()
        if offset:
            _hash_prefix(self.part, offset, self._sha)
            if self._git is not None:
                _hash_prefix(self.part, offset, self._git)
        size = self.remote.size
        failures = 0
        with open(self.part, "r+b" if self.part.exists() else "w+b", buffering=0) as fh:
            fh.truncate(offset)
            fh.seek(offset)
            while size is None or offset < size:
                self.control.check()
                start = offset
                try:
                    size = self._attempt(fh, offset, size, state)
                except _Retryable as exc:
                    offset = fh.tell()  # every byte in the file is good: continue after it
                    self.control.check()  # a pause/cancel shuts the socket: that is no network fault
                    failures = 1 if offset > start else failures + 1
                    if failures > self.policy.attempts:
                        raise NetworkError(
                            f"downloading {self.remote.path} failed {failures} times in a row ({exc}); "
                            "run the download again to resume"
                        ) from None
                    wait = self.policy.delay(failures, exc.retry_after)
                    log.info("%s: %s; retrying in %.1f s", self.remote.path, exc, wait)
                    self.control.sleep(wait)
                    continue
                offset = fh.tell()
                if size is None:
                    size = offset  # no length announced: the server closed at the end
            state.bytes_written = offset
            save_state(self.state_path, state, durable=False)  # an fsync here would flush the whole file
        self._verify(self._sha.hexdigest(), self._git.hexdigest() if self._git else None, offset)
        return TransferResult(sha256=self._sha.hexdigest(), size=offset, resumed_from=resumed_from)

    def _verify(self, digest: str, git_digest: str | None, size: int) -> None:
        problem = None
        if self.expected_sha256 and digest != self.expected_sha256:
            problem = f"its sha256 is {digest}, not the expected {self.expected_sha256}"
        elif git_digest and git_digest != self.remote.git_sha1:
            problem = f"its git blob id is {git_digest}, not the hub's {self.remote.git_sha1}"
        elif self.remote.size is not None and size != self.remote.size:
            problem = f"it has {size} bytes, not the announced {self.remote.size}"
        if problem:
            self.part.unlink(missing_ok=True)
            self.state_path.unlink(missing_ok=True)
            raise ChecksumMismatchError(
                f"{self.remote.path} arrived damaged ({problem}); the bad bytes were deleted and nothing was installed"
            )

    # -- one HTTP request -------------------------------------------------------------------------
    def _open(self, offset: int) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        url = self.remote.url
        headers = dict(self.headers)
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        for _ in range(MAX_REDIRECTS):
            check_transport(url, allow_http=self.allow_http)
            if origin(url) != self.hub_origin:
                headers.pop("authorization", None)  # the token never leaves the hub (CDN URLs are signed)
                headers.pop("Authorization", None)
            self.before_connect()  # every connection, redirects included
            try:
                conn, target = _connect(url, self.policy.connect_timeout)
            except ssl.SSLCertVerificationError as exc:
                host = urlsplit(url).hostname
                raise DownloadError(f"the TLS certificate of {host} is not valid: {exc.verify_message}") from None
            except OSError as exc:
                raise _Retryable(f"cannot connect to {urlsplit(url).hostname}: {exc}") from None
            try:
                if conn.sock is not None:
                    conn.sock.settimeout(self.policy.stall_timeout)
                self.control.attach(conn.sock)
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise _Retryable(f"the connection failed: {exc or type(exc).__name__}") from None
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                conn.close()
                if not location:
                    raise DownloadError(f"the server redirected {self.remote.path} without a Location")
                url = urljoin(url, location)
                continue
            return conn, response
        raise DownloadError(f"too many redirects while downloading {self.remote.path}")

    def _check_status(self, response: http.client.HTTPResponse) -> None:
        status = response.status
        if status in (200, 206):
            return
        where = f"{self.remote.repo}/{self.remote.path}"
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", parse_retry_after(response.getheader("Retry-After")))
        if status in (401, 403):
            raise HubAccessError(
                f"the server refused {where} (HTTP {status}); if the repository is gated or private, "
                "log in with 'hf auth login' (or set HF_TOKEN)"
            )
        if status == 404:
            raise RemoteNotFoundError(f"{where} is gone from the server (HTTP 404)")
        raise DownloadError(f"the server answered HTTP {status} for {where}")

    def _attempt(self, fh: Any, offset: int, size: int | None, state: FileState) -> int | None:
        """One request from `offset`; returns the file size once known. Raises _Retryable on a drop."""
        conn, response = self._open(offset)
        try:
            if response.status == 416 and size is not None and offset == size:
                return size
            self._check_status(response)
            if offset and response.status == 200:
                # The server ignores Range: the only case where a download starts again from zero.
                log.warning("%s: the server does not support resuming; starting again", self.remote.path)
                fh.truncate(0)
                fh.seek(0)
                offset = 0
                self._new_hashers()
            elif response.status == 206:
                self._check_range(response.getheader("Content-Range"), offset, size)
            length = response.length  # what is left of this response's body
            if size is None and length is not None:
                size = offset + length
            offset = self._stream(fh, response, offset, state)
            if size is not None and offset < size:
                raise _Retryable(f"the connection closed at byte {offset} of {size}")
            return size
        finally:
            self.control.detach()
            conn.close()

    def _check_range(self, content_range: str | None, offset: int, size: int | None) -> None:
        # "bytes START-END/TOTAL"
        try:
            unit, _, spec = (content_range or "").partition(" ")
            span, _, total = spec.partition("/")
            start = int(span.split("-")[0])
        except ValueError:
            raise _Retryable(f"the server sent a malformed Content-Range ({content_range!r})") from None
        if unit != "bytes" or start != offset:
            raise _Retryable(f"the server resumed at the wrong byte ({content_range!r} for {offset})")
        if size is not None and total not in ("*", str(size)):
            raise DownloadError(f"{self.remote.path} changed size on the server ({total} instead of {size} bytes)")

    def _stream(self, fh: Any, response: http.client.HTTPResponse, offset: int, state: FileState) -> int:
        """Read the body into buffers; each is written at once (so a crash loses at most the one being
        filled) and hashed on another thread, so hashing overlaps the network and the disk."""
        hashers = [self._sha] + ([self._git] if self._git is not None else [])
        pipe = _HashPipe(hashers, HASH_BUFFERS, CHUNK_SIZE)
        buffer = pipe.take()
        view = memoryview(buffer)
        filled = 0
        raw = response.fp if not response.chunked else None
        remaining = response.length
        now = time.monotonic()
        next_checkpoint, next_durable = now + CHECKPOINT_INTERVAL, now + DURABLE_INTERVAL

        flushing = False  # an exception inside flush() must not make the final flush write a chunk twice

        def flush() -> None:
            nonlocal filled, offset, next_checkpoint, next_durable, buffer, view, flushing
            if not filled:
                return
            flushing = True
            _write_all(fh, view[:filled], self.part)
            pipe.give(buffer, filled)
            flushing = False
            offset += filled
            self.on_bytes(filled)
            filled = 0
            view.release()
            buffer = pipe.take()
            view = memoryview(buffer)
            now = time.monotonic()
            if now >= next_checkpoint:
                state.bytes_written = offset
                durable = now >= next_durable
                save_state(self.state_path, state, durable=durable)
                next_checkpoint = now + CHECKPOINT_INTERVAL
                if durable:
                    next_durable = now + DURABLE_INTERVAL

        try:
            while True:
                want = CHUNK_SIZE - filled
                if remaining is not None:
                    want = min(want, remaining)
                    if want == 0:
                        break
                try:
                    if raw is not None:
                        got = raw.readinto1(view[filled : filled + want])
                    else:
                        piece = response.read1(want)
                        got = len(piece)
                        view[filled : filled + got] = piece
                except TimeoutError:
                    raise _Retryable(f"no data for {self.policy.stall_timeout:.0f} s (stalled)") from None
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    raise _Retryable(f"the connection dropped ({exc or type(exc).__name__})") from None
                if not got:
                    break
                filled += got
                if remaining is not None:
                    remaining -= got
                if filled == CHUNK_SIZE or (filled >= FLUSH_MIN and got < want):
                    flush()
        finally:
            # Whatever ended the stream (a drop, Ctrl-C, pause), the bytes already received are good.
            try:
                if not flushing:  # a chunk half written stays half written: its prefix is still good data
                    with contextlib.suppress(DownloadError):
                        flush()
            finally:
                view.release()
                pipe.close()
        return offset


class _HashPipe:
    """A hashing thread fed with filled buffers in order; buffers come back when hashed.

    hashlib releases the GIL on large updates, so the sha256 of one buffer runs while the
    next one is received and written.
    """

    def __init__(self, hashers: list[Any], count: int, size: int) -> None:
        self._hashers = hashers
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._todo: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        for _ in range(count):
            self._free.put(bytearray(size))
        self._thread = threading.Thread(target=self._run, name="candeia-sha256", daemon=True)
        self._thread.start()

    def take(self) -> bytearray:
        return self._free.get()  # waits when hashing is behind: back-pressure on the network

    def give(self, buffer: bytearray, length: int) -> None:
        self._todo.put((buffer, length))

    def close(self) -> None:
        """Wait until every given buffer is hashed."""
        self._todo.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._todo.get()) is not None:
            buffer, length = item
            with memoryview(buffer) as view:
                data = view[:length]
                for hasher in self._hashers:
                    hasher.update(data)
                data.release()
            self._free.put(buffer)
