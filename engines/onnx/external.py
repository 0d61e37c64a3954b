"""Rewrite an ONNX file so its weights live in a data file beside it, streaming, in bounded memory.

ONNX Runtime memory-maps external weights but parses embedded ones out of the protobuf, holding the
file's bytes and the tensors made from them at once: creating a session from an opus-mt-sized
single-file export peaks near 2x the file. Hub repositories ship such files, and Candeia never
modifies a model's files (their sha256 is checked), so `externalize` writes a derived copy.

The copy is made by walking protobuf's wire format directly rather than with `onnx.load`, which would
itself need the whole model in memory twice: only the graph structure (small) is held; each tensor's
`raw_data` is copied to the data file in chunks. Tensors inside subgraphs (the merged decoder's `If`
branches) and in node attributes are moved too, as `onnx.save(..., save_as_external_data=True)` does.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import BinaryIO

from engines.onnx.data_files import MIN_EXTERNAL_BYTES, data_file

# message kinds and, for each, the fields holding messages to walk into (field number -> kind)
_MODEL, _GRAPH, _NODE, _ATTR, _TENSOR = "model", "graph", "node", "attr", "tensor"
_CHILDREN: dict[str, dict[int, str]] = {
    _MODEL: {7: _GRAPH},  # ModelProto.graph
    _GRAPH: {1: _NODE, 5: _TENSOR},  # GraphProto.node, .initializer
    _NODE: {5: _ATTR},  # NodeProto.attribute
    _ATTR: {5: _TENSOR, 6: _GRAPH, 10: _TENSOR, 11: _GRAPH},  # AttributeProto.t, .g, .tensors, .graphs
    _TENSOR: {},
}
_RAW_DATA, _EXTERNAL_DATA, _DATA_LOCATION = 9, 13, 14  # TensorProto fields
_BIG_TENSOR_BYTES = 1 << 20
_SMALL_ALIGN = 64
_CHUNK = 8 << 20
_BUFFER = 1 << 20


class AlreadyExternalError(ValueError):
    """The file already keeps some weights outside; a copy elsewhere would lose their relative paths."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


class _Source:
    """Random reads of a file through a 1 MiB window (the graph is thousands of tiny fields)."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size
        self.start = 0
        self.buffer = b""

    def read(self, pos: int, n: int) -> bytes:
        if pos + n > self.size:
            raise ValueError("truncated protobuf")
        if not (self.start <= pos and pos + n <= self.start + len(self.buffer)):
            self.handle.seek(pos)
            self.buffer = self.handle.read(max(n, _BUFFER))
            self.start = pos
        offset = pos - self.start
        return self.buffer[offset:offset + n]

    def varint(self, pos: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            byte = self.read(pos, 1)[0]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result, pos
            shift += 7
            if shift > 63:
                raise ValueError("malformed varint")

    def copy_to(self, pos: int, n: int, out: BinaryIO) -> None:
        """Copy bytes straight to `out` in chunks, past the window (weights never sit in memory whole)."""
        if pos + n > self.size:
            raise ValueError("truncated protobuf")
        self.handle.seek(pos)
        while n:
            chunk = self.handle.read(min(n, _CHUNK))
            if not chunk:
                raise ValueError("truncated protobuf")
            out.write(chunk)
            n -= len(chunk)


class _Writer:
    def __init__(self, source: _Source, data: BinaryIO, location: str) -> None:
        self.source = source
        self.data = data
        self.location = location
        self.offset = 0
        self.moved = 0

    def message(self, start: int, end: int, kind: str) -> bytes:
        """The message at [start, end) rewritten, weights of its tensors moved to the data file."""
        src = self.source
        parts: list[bytes] = []
        raw: tuple[int, int] | None = None
        pos = start
        while pos < end:
            key, body = src.varint(pos)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, after = src.varint(body)
                if kind == _TENSOR and number == _DATA_LOCATION and value == 1:
                    raise AlreadyExternalError("the model already has external data")
            elif wire == 1:
                after = body + 8
            elif wire == 5:
                after = body + 4
            elif wire == 2:
                length, payload = src.varint(body)
                after = payload + length
                if after > end:
                    raise ValueError("truncated protobuf")
                child = _CHILDREN[kind].get(number)
                if child is not None:
                    inner = self.message(payload, after, child)
                    parts.append(_varint(key) + _varint(len(inner)) + inner)
                    pos = after
                    continue
                if kind == _TENSOR and number == _EXTERNAL_DATA:
                    raise AlreadyExternalError("the model already has external data")
                if kind == _TENSOR and number == _RAW_DATA and length >= MIN_EXTERNAL_BYTES:
                    raw = (payload, length)
                    pos = after
                    continue
            else:
                raise ValueError(f"unsupported protobuf wire type {wire}")
            if after > end:
                raise ValueError("truncated protobuf")
            parts.append(src.read(pos, after - pos))  # any other field, copied as is
            pos = after
        if raw is not None:
            parts.append(self._move(*raw))
        return b"".join(parts)

    def _move(self, pos: int, length: int) -> bytes:
        """Append one tensor's bytes to the data file; return the fields that point at them."""
        # big tensors start on a mapping boundary, so ONNX Runtime can map them where they lie
        align = mmap.ALLOCATIONGRANULARITY if length >= _BIG_TENSOR_BYTES else _SMALL_ALIGN
        padding = -self.offset % align
        if padding:
            self.data.write(b"\0" * padding)
            self.offset += padding
        self.source.copy_to(pos, length, self.data)
        entries = [("location", self.location), ("offset", str(self.offset)), ("length", str(length))]
        self.offset += length
        self.moved += 1
        fields = b"".join(_field(_EXTERNAL_DATA, _field(1, k.encode()) + _field(2, v.encode())) for k, v in entries)
        return fields + _varint(_DATA_LOCATION << 3) + _varint(1)


def externalize(source: Path, target: Path) -> int:
    """Write `target` (the graph) and `data_file(target)` (the weights) from `source`; returns tensors moved.

    Raises AlreadyExternalError when `source` already keeps weights in other files, ValueError when it is
    not a well-formed protobuf.
    """
    data_path = data_file(target)
    with source.open("rb") as handle, data_path.open("wb") as data:
        size = source.stat().st_size
        writer = _Writer(_Source(handle, size), data, data_path.name)
        graph = writer.message(0, size, _MODEL)
    target.write_bytes(graph)
    return writer.moved
