"""A bounds-checked, streaming parser for GGUF metadata and the tensor table.

gguf-py's GGUFReader builds a numpy view for every array element, which takes about nine
seconds on a model with a 262k-token vocabulary; this parser walks the same structure with the
`gguf` package's own type tables in a fraction of a second and never reads past the file's end.
Array values are kept only when short; long arrays (vocabularies) are skipped and counted.
"""

from __future__ import annotations

import importlib.util
import mmap
import struct
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any


class GGUFValueType(IntEnum):
    """Metadata value types, fixed by the GGUF format. Defined here rather than imported from the
    `gguf` package, whose import pulls in numpy and its writer (a quarter second at app start)."""

    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


GGUF_DEFAULT_ALIGNMENT = 32

MAX_KEY_BYTES = 1 << 16
MAX_STRING_BYTES = 1 << 26  # 64 MiB: chat templates are kilobytes, nothing legitimate comes near
MAX_DIMS = 8
KEEP_ARRAY_ITEMS = 64

_SCALARS: dict[int, str] = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H", GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i", GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q", GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}


class ParseError(Exception):
    """The structure is inconsistent; the message says where."""


@dataclass(frozen=True)
class ArrayValue:
    item_type: int
    count: int
    items: list[Any] | None  # None when the array was too long to keep


@dataclass(frozen=True)
class TensorEntry:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # absolute, in the file
    n_elements: int
    n_bytes: int


@dataclass(frozen=True)
class ParsedGGUF:
    fields: dict[str, Any]
    tensors: list[TensorEntry]
    data_offset: int


class _Cursor:
    def __init__(self, buf: memoryview, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        self.size = len(buf)

    def take(self, count: int, what: str) -> memoryview:
        end = self.pos + count
        if count < 0 or end > self.size:
            raise ParseError(f"{what} runs past the end of the file")
        view = self.buf[self.pos : end]
        self.pos = end
        return view

    def unpack(self, fmt: str, what: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what: str, limit: int = MAX_STRING_BYTES) -> str:
        length = self.unpack("<Q", what)
        if length > limit:
            raise ParseError(f"{what} claims {length} bytes")
        try:
            return bytes(self.take(length, what)).decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(f"{what} is not valid UTF-8") from None


def _value(cur: _Cursor, vtype: int, what: str, depth: int = 0) -> Any:
    fmt = _SCALARS.get(vtype)
    if fmt is not None:
        return cur.unpack(fmt, what)
    if vtype == GGUFValueType.STRING:
        return cur.string(what)
    if vtype != GGUFValueType.ARRAY:
        raise ParseError(f"{what} has the unknown value type {vtype}")
    if depth > 2:
        raise ParseError(f"{what} nests arrays too deeply")
    item_type = cur.unpack("<I", what)
    count = cur.unpack("<Q", what)
    keep = count <= KEEP_ARRAY_ITEMS
    item_fmt = _SCALARS.get(item_type)
    if item_fmt is not None:
        width = struct.calcsize(item_fmt)
        if count * width > cur.size - cur.pos:
            raise ParseError(f"{what} claims {count} items, more than the file holds")
        raw = cur.take(count * width, what)
        items = list(struct.unpack(f"<{count}{item_fmt[1]}", raw)) if keep else None
        return ArrayValue(item_type, count, items)
    if item_type == GGUFValueType.STRING:
        if count * 8 > cur.size - cur.pos:
            raise ParseError(f"{what} claims {count} strings, more than the file holds")
        if keep:
            return ArrayValue(item_type, count, [cur.string(what) for _ in range(count)])
        cur.pos = _skip_strings(cur.buf, cur.pos, count, what)
        return ArrayValue(item_type, count, None)
    if item_type == GGUFValueType.ARRAY:
        if count * 12 > cur.size - cur.pos:
            raise ParseError(f"{what} claims {count} arrays, more than the file holds")
        nested = [_value(cur, item_type, what, depth + 1) for _ in range(count)]
        return ArrayValue(item_type, count, nested if keep else None)
    raise ParseError(f"{what} has arrays of the unknown type {item_type}")


_U64 = struct.Struct("<Q")


def _skip_strings(buf: memoryview, pos: int, count: int, what: str) -> int:
    """Step over `count` length-prefixed strings (a vocabulary: hundreds of thousands of them)."""
    size = len(buf)
    unpack = _U64.unpack_from
    for _ in range(count):
        if pos + 8 > size:
            raise ParseError(f"{what} runs past the end of the file")
        pos += 8 + unpack(buf, pos)[0]
    if pos > size:
        raise ParseError(f"{what} runs past the end of the file")
    return pos


@cache
def _quant_sizes() -> dict[int, tuple[int, int]]:
    """Block size and bytes per block of each tensor type: gguf-py's table, which grows with llama.cpp."""
    table = gguf_constants().GGML_QUANT_SIZES
    return {int(kind): sizes for kind, sizes in table.items()}


@cache
def gguf_constants() -> ModuleType:
    """gguf-py's `constants` module on its own (it imports only enum and typing). Importing it as
    `gguf.constants` runs the package's __init__ first, which imports the writer, numpy, yaml and
    sentencepiece: about 0.1 s and 5 MB that stayed for good after the first model load. Where the
    module is not a plain file (inside a PyInstaller archive), the package import is the fallback."""
    spec = importlib.util.find_spec("gguf")  # does not import the package
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "constants.py"
        alone = importlib.util.spec_from_file_location("candeia_gguf_constants", path)
        if path.is_file() and alone is not None and alone.loader is not None:
            module = importlib.util.module_from_spec(alone)
            alone.loader.exec_module(module)
            return module
    from gguf import constants

    return constants


def _tensor_bytes(name: str, ggml_type: int, n_elements: int) -> int:
    try:
        block, type_size = _quant_sizes()[ggml_type]
    except KeyError:
        raise ParseError(f"tensor '{name}' has the unknown type {ggml_type}") from None
    if n_elements % block:
        raise ParseError(f"tensor '{name}' has {n_elements} elements, not a multiple of its block size {block}")
    return n_elements // block * type_size


def parse_gguf(path: Path, header_size: int, tensor_count: int, kv_count: int) -> ParsedGGUF:
    """Parse everything after the fixed header. Raises ParseError on any inconsistency."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        buf = memoryview(mapped)
        try:
            return _parse(buf, header_size, tensor_count, kv_count)
        finally:
            buf.release()


def _parse(buf: memoryview, header_size: int, tensor_count: int, kv_count: int) -> ParsedGGUF:
    cur = _Cursor(buf, header_size)
    fields: dict[str, Any] = {}
    for index in range(kv_count):
        key = cur.string(f"metadata key {index}", MAX_KEY_BYTES)
        vtype = cur.unpack("<I", f"metadata '{key}'")
        fields[key] = _value(cur, vtype, f"metadata '{key}'")
    raw_tensors = []
    for index in range(tensor_count):
        name = cur.string(f"tensor {index}'s name", MAX_KEY_BYTES)
        n_dims = cur.unpack("<I", f"tensor '{name}'")
        if not 0 < n_dims <= MAX_DIMS:
            raise ParseError(f"tensor '{name}' has {n_dims} dimensions")
        shape = tuple(cur.unpack("<Q", f"tensor '{name}'") for _ in range(n_dims))
        ggml_type = cur.unpack("<I", f"tensor '{name}'")
        offset = cur.unpack("<Q", f"tensor '{name}'")
        raw_tensors.append((name, shape, ggml_type, offset))
    alignment = fields.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise ParseError(f"'general.alignment' is {alignment!r}, not a power of two")
    data_offset = cur.pos + (-cur.pos % alignment)
    tensors = []
    seen: set[str] = set()
    for name, shape, ggml_type, offset in raw_tensors:
        if name in seen:
            raise ParseError(f"tensor '{name}' appears twice")
        seen.add(name)
        n_elements = 1
        for dim in shape:
            if dim <= 0 or dim > 1 << 40:
                raise ParseError(f"tensor '{name}' has the impossible shape {shape}")
            n_elements *= dim
        if offset % alignment:
            raise ParseError(f"tensor '{name}' is not aligned")
        n_bytes = _tensor_bytes(name, ggml_type, n_elements)
        tensors.append(TensorEntry(name, shape, ggml_type, data_offset + offset, n_elements, n_bytes))
    return ParsedGGUF(fields, tensors, data_offset)
