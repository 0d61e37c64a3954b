"""Validate a GGUF file and read the metadata Candeia needs, before llama.cpp ever sees it.

A model file is untrusted input. The fixed header is checked first (cheap and immune to
absurd counts), then a bounds-checked parser built on the `gguf` package's type tables walks
the key/value section and the tensor table, and the result is checked against the file's size.
Every problem becomes an InvalidModelFileError with one sentence naming what is wrong.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError
from engines.gguf.parse import ArrayValue, ParseError, TensorEntry, gguf_constants, parse_gguf
from engines.paths import readable_file_size

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
HEADER_SIZE = 24  # magic, u32 version, u64 tensor count, u64 key/value count
# Smallest possible encodings, used to reject counts the file cannot possibly hold.
MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8
MIN_KV_BYTES = 8 + 1 + 4 + 1
MAX_TENSORS = 1_000_000
MAX_KV = 1_000_000
MAX_CONTEXT = 1 << 24  # 16M tokens; larger values are corrupt metadata, not real models
MAX_DIMENSION = 1 << 20

# Architectures that are not text models but still valid GGUF companions.
COMPANION_ARCHITECTURES = frozenset({"clip", "mllm"})


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    file_size: int
    version: int
    architecture: str
    tensor_count: int
    kv_count: int
    name: str | None = None
    context_length: int | None = None
    embedding_length: int | None = None
    block_count: int | None = None
    head_count: int | None = None
    head_count_kv: int | None = None
    key_length: int | None = None  # per-head K size, when it differs from embedding_length / head_count
    value_length: int | None = None
    vocab_size: int | None = None
    file_type: str | None = None
    chat_template: str | None = None
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    add_bos_token: bool | None = None
    parameter_count: int = 0
    tensor_bytes: int = 0
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_companion(self) -> bool:
        """An mmproj/projector file rather than a model that generates text."""
        return self.architecture in COMPANION_ARCHITECTURES

    def summary(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "file_size": self.file_size,
            "gguf_version": self.version,
            "architecture": self.architecture,
            "name": self.name,
            "file_type": self.file_type,
            "parameters": self.parameter_count,
            "tensors": self.tensor_count,
            "metadata_keys": self.kv_count,
            "context_length": self.context_length,
            "embedding_length": self.embedding_length,
            "layers": self.block_count,
            "heads": self.head_count,
            "kv_heads": self.head_count_kv,
            "vocab_size": self.vocab_size,
            "has_chat_template": self.chat_template is not None,
        }


def require_model(info: GGUFInfo, wanted: str = "model", hint: str = "") -> GGUFInfo:
    """Refuse a projector (mmproj) where a model that generates text is wanted; `hint` says what to do."""
    if info.is_companion:
        raise InvalidModelFileError(
            info.path, f"is a vision projector (mmproj, '{info.architecture}'), not a {wanted}{hint}"
        )
    return info


def known_architectures() -> frozenset[str]:
    return frozenset(gguf_constants().MODEL_ARCH_NAMES.values()) | COMPANION_ARCHITECTURES


def _check_header(path: Path, size: int) -> tuple[int, int, int]:
    if size < HEADER_SIZE:
        raise InvalidModelFileError(path, f"is {size} bytes long, too small to be a GGUF model")
    with path.open("rb") as fh:
        head = fh.read(HEADER_SIZE)
    if head[:4] != GGUF_MAGIC:
        raise InvalidModelFileError(path, "is not a GGUF file (it does not start with 'GGUF')")
    version, tensor_count, kv_count = struct.unpack_from("<IQQ", head, 4)
    if version not in SUPPORTED_VERSIONS:
        swapped = struct.unpack(">I", struct.pack("<I", version))[0]
        if swapped in SUPPORTED_VERSIONS:
            raise InvalidModelFileError(path, "is a big-endian GGUF file, which this build cannot load")
        raise InvalidModelFileError(
            path, f"has GGUF version {version}; only versions 2 and 3 are supported"
        )
    room = size - HEADER_SIZE
    if (
        tensor_count > MAX_TENSORS
        or kv_count > MAX_KV
        or tensor_count * MIN_TENSOR_INFO_BYTES + kv_count * MIN_KV_BYTES > room
    ):
        raise InvalidModelFileError(
            path,
            f"claims {tensor_count} tensors and {kv_count} metadata keys, "
            f"more than a {size}-byte file can hold (corrupt header)",
        )
    if tensor_count == 0:
        raise InvalidModelFileError(path, "contains no tensors")
    return version, tensor_count, kv_count


def _int_field(path: Path, fields: dict[str, Any], key: str, upper: int) -> int | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, ArrayValue):  # some architectures store per-layer values; take the first
        value = value.items[0] if value.items else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidModelFileError(path, f"has a non-integer '{key}' ({value!r})")
    if not 0 < value <= upper:
        raise InvalidModelFileError(path, f"has an impossible '{key}' of {value}")
    return value


def _file_type_name(value: Any) -> str | None:
    if not isinstance(value, int):
        return None
    try:
        name: str = gguf_constants().LlamaFileType(value).name
        return name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except ValueError:
        return f"type {value}"


VALIDATED_CACHE_SIZE = 8
_validated: OrderedDict[tuple[str, int, int, int], GGUFInfo] = OrderedDict()
_validated_lock = threading.Lock()


def read_gguf_once(path: str | Path) -> GGUFInfo:
    """`read_gguf`, remembered for this process while the file keeps its size, mtime and inode.

    Walking a 262k-token vocabulary is about 30 ms of pure Python; done again on the thread that
    loads the model, it competes with the UI thread for the GIL at the moment of a click. The GUI
    validates the selected model ahead, while idle, and the load then finds it here.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return read_gguf(path)  # raises the same clear error
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    with _validated_lock:
        info = _validated.get(key)
        if info is not None:
            _validated.move_to_end(key)
            return info
    info = read_gguf(path)
    with _validated_lock:
        _validated[key] = info
        while len(_validated) > VALIDATED_CACHE_SIZE:
            _validated.popitem(last=False)
    return info


def read_gguf(path: str | Path) -> GGUFInfo:
    """Validate `path` and return its metadata; raise InvalidModelFileError when it is unusable."""
    path = Path(path)
    size = _file_size(path)
    version, tensor_count, kv_count = _check_header(path, size)
    try:
        parsed = parse_gguf(path, HEADER_SIZE, tensor_count, kv_count)
    except ParseError as exc:
        reason = f"is damaged or truncated: the GGUF metadata cannot be parsed ({exc})"
        raise InvalidModelFileError(path, reason) from None
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"cannot be read ({exc})") from exc
    fields = parsed.fields
    arch = _architecture(path, fields)
    parameter_count, tensor_bytes = _tensor_totals(path, parsed.tensors, size)
    is_text_model = arch not in COMPANION_ARCHITECTURES
    tokens = fields.get("tokenizer.ggml.tokens")
    vocab_size = tokens.count if isinstance(tokens, ArrayValue) else None
    if is_text_model and vocab_size is None:
        raise InvalidModelFileError(path, "has no tokenizer vocabulary ('tokenizer.ggml.tokens')")

    def dimension(key: str, upper: int = MAX_DIMENSION) -> int | None:
        return _int_field(path, fields, f"{arch}.{key}", upper)

    template = fields.get("tokenizer.chat_template")
    add_bos = fields.get("tokenizer.ggml.add_bos_token")
    name = fields.get("general.name")
    info = GGUFInfo(
        path=path,
        file_size=size,
        version=version,
        architecture=arch,
        tensor_count=tensor_count,
        kv_count=kv_count,
        name=name if isinstance(name, str) else None,
        context_length=dimension("context_length", MAX_CONTEXT),
        embedding_length=dimension("embedding_length"),
        block_count=dimension("block_count", 100_000),
        head_count=dimension("attention.head_count"),
        head_count_kv=dimension("attention.head_count_kv"),
        key_length=dimension("attention.key_length"),
        value_length=dimension("attention.value_length"),
        vocab_size=vocab_size,
        file_type=_file_type_name(fields.get("general.file_type")),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        bos_token_id=_int_or_none(fields.get("tokenizer.ggml.bos_token_id")),
        eos_token_id=_int_or_none(fields.get("tokenizer.ggml.eos_token_id")),
        add_bos_token=add_bos if isinstance(add_bos, bool) else None,
        parameter_count=parameter_count,
        tensor_bytes=tensor_bytes,
    )
    _check_complete(info, is_text_model)
    return info


def _file_size(path: Path) -> int:
    return readable_file_size(path, InvalidModelFileError, "a GGUF file")


def _architecture(path: Path, fields: dict[str, Any]) -> str:
    architecture = fields.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise InvalidModelFileError(path, "has no 'general.architecture' in its metadata")
    if architecture not in known_architectures():
        raise InvalidModelFileError(path, f"uses the unknown architecture '{architecture}'")
    return architecture


def _tensor_totals(path: Path, tensors: Iterable[TensorEntry], size: int) -> tuple[int, int]:
    """Parameters and bytes of all tensors; refuses a tensor that ends past the end of the file."""
    parameter_count = 0
    tensor_bytes = 0
    for tensor in tensors:
        end = tensor.offset + tensor.n_bytes
        if end > size:
            raise InvalidModelFileError(
                path,
                f"is truncated: tensor '{tensor.name}' ends at byte {end} but the file has {size} bytes",
            )
        parameter_count += tensor.n_elements
        tensor_bytes += tensor.n_bytes
    return parameter_count, tensor_bytes


def _check_complete(info: GGUFInfo, is_text_model: bool) -> None:
    if is_text_model and info.block_count is None:
        raise InvalidModelFileError(
            info.path, f"lacks '{info.architecture}.block_count', so it cannot be a complete model"
        )
    for token_id in (info.bos_token_id, info.eos_token_id):
        if token_id is not None and info.vocab_size is not None and not 0 <= token_id < info.vocab_size:
            raise InvalidModelFileError(
                info.path, f"names token {token_id}, outside its vocabulary of {info.vocab_size}"
            )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
