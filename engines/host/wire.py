"""The host channel's framing: a 4-byte big-endian length, then one JSON object.

JSON, not pickle: the host's replies are data, never code, and a corrupted or hostile stream
can at worst fail to parse. The channel is the child's stdin and a duplicate of its stdout,
so it needs no port, no socket and works the same on every OS.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct("!I")
MAX_MESSAGE = 256 << 20  # a batch of images as data URIs is the largest thing sent


class ChannelError(Exception):
    """The other side sent something that is not a message."""


Message = dict[str, Any]


def encode(message: Message) -> bytes:
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(data)) + data


def send(stream: BinaryIO, message: Message) -> None:
    stream.write(encode(message))
    stream.flush()


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(stream: BinaryIO) -> Message | None:
    """The next message, or None at the end of the stream (the other side is gone)."""
    header = _read_exact(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ChannelError(f"a message of {size} bytes is over the limit")
    data = _read_exact(stream, size)
    if data is None:
        return None
    try:
        message = json.loads(data)
    except ValueError as exc:
        raise ChannelError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ChannelError("not a JSON object")
    return message
