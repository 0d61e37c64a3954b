"""The disk side of a transfer: received bytes go into fixed buffers; each filled buffer is written
to the `.part` file at once (so a crash loses at most the one being filled) and hashed on another
thread, so hashing overlaps the network and the disk."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engines.download.errors import DiskSpaceError, DownloadError

CHUNK_SIZE = 1 << 20  # the most a crash can lose: bytes received but not yet written
HASH_BUFFERS = 4  # buffers in flight between the network thread and the hashing thread
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

# Writes a buffer to the open file; a benchmark may pass one that only moves the file position.
WriteFn = Callable[[Any, memoryview, Path], None]


def write_all(fh: Any, view: memoryview, part: Path) -> None:
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


class Hashers:
    """The sha256 of a file, plus its git blob id when the hub gave one (a small file kept in git, not LFS)."""

    def __init__(self, git_blob_size: int | None) -> None:
        self.sha256 = hashlib.sha256()
        self.git: Any = None
        if git_blob_size is not None:
            self.git = hashlib.sha1(usedforsecurity=False)
            self.git.update(f"blob {git_blob_size}\0".encode())

    def all(self) -> list[Any]:
        return [self.sha256] + ([self.git] if self.git is not None else [])

    def hash_prefix(self, part: Path, length: int) -> None:
        """Hash the first `length` bytes already in `part` (a running hash cannot be saved)."""
        for hasher in self.all():
            with part.open("rb") as fh:
                left = length
                while left and (block := fh.read(min(8 << 20, left))):
                    hasher.update(block)
                    left -= len(block)


class HashPipe:
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


class BufferedSink:
    """Where one response body goes: `space()` to receive into, `received()`, `flush()`; `close()` last.

    `on_written(offset, count)` runs after each write, with the file's new length."""

    def __init__(
        self, fh: Any, part: Path, hashers: Hashers, offset: int, on_written: Callable[[int, int], None],
        write: WriteFn = write_all,
    ) -> None:
        self._fh, self._part, self._write, self._on_written = fh, part, write, on_written
        self._pipe = HashPipe(hashers.all(), HASH_BUFFERS, CHUNK_SIZE)
        self._buffer = self._pipe.take()
        self._view = memoryview(self._buffer)
        self.filled = 0
        self.offset = offset
        self._flushing = False  # an exception inside flush() must not make close() write a chunk twice

    def space(self, most: int) -> memoryview:
        return self._view[self.filled : self.filled + most]

    def received(self, count: int) -> None:
        self.filled += count

    def flush(self) -> None:
        if not self.filled:
            return
        self._flushing = True
        self._write(self._fh, self._view[: self.filled], self._part)
        self._pipe.give(self._buffer, self.filled)
        self._flushing = False
        self.offset += self.filled
        written, self.filled = self.filled, 0
        self._view.release()
        self._buffer = self._pipe.take()
        self._view = memoryview(self._buffer)
        self._on_written(self.offset, written)

    def close(self) -> None:
        """Whatever ended the body (a drop, Ctrl-C, pause), the bytes already received are good: write them."""
        try:
            if not self._flushing:  # a chunk half written stays half written: its prefix is still good data
                with contextlib.suppress(DownloadError):
                    self.flush()
        finally:
            self._view.release()
            self._pipe.close()
