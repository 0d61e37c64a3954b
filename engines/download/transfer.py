"""Candeia's own byte transfer: one file, resumable with HTTP Range, hashed while it is written.

The `.part` file grows only by whole flushed buffers, so after a crash, a kill or a dropped
connection the next attempt asks for `Range: bytes=<part length>-` and hashes the bytes it
already has once (a running sha256 cannot be saved). A server that ignores Range makes the
file start again; nothing else ever does, except a remote file that changed.

The HTTP side is connection.py, the buffers, writes and hashing thread hash_pipe.py.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.download.connection import (
    ConnectionRules,
    Retryable,
    check_content_range,
    check_status,
    open_get,
)
from engines.download.control import DownloadControl
from engines.download.errors import ChecksumMismatchError, NetworkError
from engines.download.hash_pipe import CHUNK_SIZE, BufferedSink, Hashers, WriteFn, write_all
from engines.download.hub_meta import RemoteFile
from engines.download.retry import RetryPolicy
from engines.download.state import FileState, load_state, save_state, state_path_for

__all__ = ["CHUNK_SIZE", "FileTransfer", "TransferResult"]

log = logging.getLogger(__name__)

FLUSH_MIN = 256 << 10  # a slow connection still writes every 256 KiB
CHECKPOINT_INTERVAL = 1.0  # seconds between state-file saves
# An fsync on ext4 (data=ordered) also flushes every dirty page of the .part file, so most
# checkpoints are written without one: a rename is still atomic, and the .part length rules anyway.
DURABLE_INTERVAL = 30.0


@dataclass
class TransferResult:
    sha256: str
    size: int
    resumed_from: int  # bytes already on disk when this run started


class FileTransfer:
    """Fetch one remote file into `part`, resuming what is there. Call `run()` once per attempt set.

    `write` puts a buffer into the file (a benchmark may time the transfer without the disk)."""

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
        write: WriteFn = write_all,
    ) -> None:
        self.remote = remote
        self.part = part
        self.state_path = state_path_for(part)
        self.expected_sha256 = expected_sha256
        self.headers = headers
        self.policy = policy
        self.control = control
        self.on_bytes = on_bytes or (lambda n: None)
        self.rules = ConnectionRules(hub_origin, allow_http, policy, control, before_connect or (lambda: None))
        self._write = write
        self._hashers = self._new_hashers()

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

    def _new_hashers(self) -> Hashers:
        # A small file kept in git (not LFS) is also checked against its git blob id.
        return Hashers(self.remote.size if self.remote.git_sha1 else None)

    def run(self) -> TransferResult:
        state, offset = self._prepare()
        resumed_from = offset
        self._hashers = self._new_hashers()
        if offset:
            self._hashers.hash_prefix(self.part, offset)
        with open(self.part, "r+b" if self.part.exists() else "w+b", buffering=0) as fh:
            fh.truncate(offset)
            fh.seek(offset)
            offset = self._attempts(fh, offset, state)
            state.bytes_written = offset
            save_state(self.state_path, state, durable=False)  # an fsync here would flush the whole file
        digest = self._hashers.sha256.hexdigest()
        self._verify(digest, self._hashers.git.hexdigest() if self._hashers.git else None, offset)
        return TransferResult(sha256=digest, size=offset, resumed_from=resumed_from)

    def _attempts(self, fh: Any, offset: int, state: FileState) -> int:
        """Request from `offset` until the file is whole, retrying drops; returns its length."""
        size = self.remote.size
        failures = 0
        while size is None or offset < size:
            self.control.check()
            start = offset
            try:
                size = self._attempt(fh, offset, size, state)
            except Retryable as exc:
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
        return offset

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
    def _attempt(self, fh: Any, offset: int, size: int | None, state: FileState) -> int | None:
        """One request from `offset`; returns the file size once known. Raises Retryable on a drop."""
        headers = {**self.headers, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        conn, response = open_get(self.remote.url, headers, self.rules, self.remote.path)
        try:
            if response.status == 416 and size is not None and offset == size:
                return size
            check_status(response, f"{self.remote.repo}/{self.remote.path}")
            if offset and response.status == 200:
                # The server ignores Range: the only case where a download starts again from zero.
                log.warning("%s: the server does not support resuming; starting again", self.remote.path)
                fh.truncate(0)
                fh.seek(0)
                offset = 0
                self._hashers = self._new_hashers()
            elif response.status == 206:
                check_content_range(response.getheader("Content-Range"), offset, size, self.remote.path)
            length = response.length  # what is left of this response's body
            if size is None and length is not None:
                size = offset + length
            offset = self._stream(fh, response, offset, state)
            if size is not None and offset < size:
                raise Retryable(f"the connection closed at byte {offset} of {size}")
            return size
        finally:
            self.control.detach()
            conn.close()

    def _stream(self, fh: Any, response: http.client.HTTPResponse, offset: int, state: FileState) -> int:
        """Read the body into the sink's buffers until it ends; returns the file's new length."""
        sink = BufferedSink(fh, self.part, self._hashers, offset, self._checkpoints(state), self._write)
        raw = response.fp if not response.chunked else None
        remaining = response.length
        try:
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE - sink.filled
                if remaining is not None:
                    want = min(want, remaining)
                got = self._read_into(raw, response, sink.space(want))
                if not got:
                    break
                sink.received(got)
                if remaining is not None:
                    remaining -= got
                if sink.filled == CHUNK_SIZE or (sink.filled >= FLUSH_MIN and got < want):
                    sink.flush()
        finally:
            sink.close()
        return sink.offset

    def _read_into(self, raw: Any, response: http.client.HTTPResponse, view: memoryview) -> int:
        try:
            if raw is not None:
                return int(raw.readinto1(view))
            piece = response.read1(len(view))
            view[: len(piece)] = piece
            return len(piece)
        except TimeoutError:
            raise Retryable(f"no data for {self.policy.stall_timeout:.0f} s (stalled)") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise Retryable(f"the connection dropped ({exc or type(exc).__name__})") from None

    def _checkpoints(self, state: FileState) -> Callable[[int, int], None]:
        """After each write: report the bytes, and save the state now and then (durably more rarely)."""
        now = time.monotonic()
        due = {"save": now + CHECKPOINT_INTERVAL, "durable": now + DURABLE_INTERVAL}

        def written(offset: int, count: int) -> None:
            self.on_bytes(count)
            now = time.monotonic()
            if now >= due["save"]:
                state.bytes_written = offset
                durable = now >= due["durable"]
                save_state(self.state_path, state, durable=durable)
                due["save"] = now + CHECKPOINT_INTERVAL
                if durable:
                    due["durable"] = now + DURABLE_INTERVAL

        return written
