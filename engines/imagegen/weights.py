"""Validate an image model's weights before stable-diffusion.cpp sees them, and say which family it is.

A weights file is untrusted input, and stable-diffusion.cpp aborts the process (or reads out of bounds)
on a damaged one. Here the safetensors header (or the GGUF tensor table, through engines/gguf's
bounds-checked parser) is read, every tensor is checked to lie inside the file with the size its shape
and type need, and the tensor names and the cross-attention width decide the family: SD 1.x (CLIP
ViT-L, 768), SD 2.x (OpenCLIP ViT-H, 1024) or SDXL (2048). Anything else, a chat model included, is
refused with one sentence. A diffusers folder (unet/, vae/, text_encoder/) is read the same way; an
ONNX folder (unet/model.onnx, ...: the ONNX Runtime engine's) by engines/imagegen/onnx/folder.py, its
family from the width of the text the UNet cross-attends to.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engines.errors import InvalidModelFileError
from engines.paths import readable_file_size

MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
               "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
# "sd": an ONNX folder of another text width (a custom or test model the ONNX engine runs all the same)
FAMILY_NAMES = {"sd1": "Stable Diffusion 1.x", "sd2": "Stable Diffusion 2.x", "sdxl": "Stable Diffusion XL",
                "sd": "Stable Diffusion"}
# the first cross-attention's key projection: its input width is the text encoder's
_CROSS_ATTN = ("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight",
               "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight")
_CROSS_ATTN_XL = ("model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight",
                  "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight")
_VAE = ("first_stage_model.decoder.conv_in.weight", "vae.decoder.conv_in.weight")
_TEXT = ("cond_stage_model.", "conditioner.embedders.", "te.", "text_encoders.")
_WIDTHS = {768: "sd1", 1024: "sd2", 2048: "sdxl"}
_DIFFUSERS_PARTS = {"unet.": "unet/diffusion_pytorch_model.safetensors",
                    "vae.": "vae/diffusion_pytorch_model.safetensors", "te.": "text_encoder/model.safetensors"}


@dataclass(frozen=True)
class ImageModelInfo:
    path: Path
    family: str  # "sd1", "sd2", "sdxl"
    format: str  # "safetensors", "gguf", "diffusers", "onnx" (the ONNX Runtime engine's folder)
    weight_bytes: int
    parameter_count: int

    @property
    def family_name(self) -> str:
        return FAMILY_NAMES[self.family]


@dataclass(frozen=True)
class _Tensor:
    name: str
    shape: tuple[int, ...]  # outermost first (PyTorch order)
    n_bytes: int


def read_image_model(path: str | Path) -> ImageModelInfo:
    """Validate `path` (.safetensors, .gguf, a diffusers or an ONNX folder); InvalidModelFileError when unusable."""
    # deferred: the ONNX folder reader pulls in numpy (its scheduler), which the window's start-up
    # check of image models does not otherwise need
    from engines.imagegen.onnx.folder import looks_like_onnx_image_folder

    path = Path(path)
    if looks_like_onnx_image_folder(path):
        return _onnx_info(path)
    if path.is_dir():
        tensors, fmt = _diffusers_tensors(path), "diffusers"
    else:
        size = readable_file_size(path, InvalidModelFileError, "a model file")
        with path.open("rb") as fh:
            magic = fh.read(4)
        if magic == b"GGUF":
            tensors, fmt = _gguf_tensors(path), "gguf"
        else:
            tensors, fmt = _safetensors_tensors(path, size), "safetensors"
    by_name = {t.name: t for t in tensors}
    family = _family(path, by_name)
    return ImageModelInfo(path=path, family=family, format=fmt, weight_bytes=sum(t.n_bytes for t in tensors),
                          parameter_count=sum(math.prod(t.shape) for t in tensors))


def _onnx_info(path: Path) -> ImageModelInfo:
    from engines.imagegen.onnx.folder import read_onnx_image_folder

    folder = read_onnx_image_folder(path)
    family = _WIDTHS.get(folder.hidden_width, "sd")
    if family == "sdxl":
        raise InvalidModelFileError(path, "is a Stable Diffusion XL folder, which the ONNX engine cannot run yet")
    return ImageModelInfo(path=path, family=family, format="onnx", weight_bytes=folder.weight_bytes,
                          parameter_count=folder.parameter_count)


def _safetensors_tensors(path: Path, size: int, prefix: str = "") -> list[_Tensor]:
    if size < 8:
        raise InvalidModelFileError(path, f"is {size} bytes long, too small to be a safetensors or GGUF model")
    with path.open("rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        if header_len > MAX_HEADER_BYTES or 8 + header_len > size:
            raise InvalidModelFileError(path, "is not a safetensors or GGUF model (or its header is damaged)")
        raw = fh.read(header_len)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidModelFileError(path, "is not a safetensors or GGUF model (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise InvalidModelFileError(path, "has a damaged safetensors header")
    room = size - 8 - header_len
    return [_safetensors_entry(path, prefix + name, entry, room) for name, entry in header.items()
            if name != "__metadata__"]


def _safetensors_entry(path: Path, name: str, entry: object, room: int) -> _Tensor:
    try:
        assert isinstance(entry, dict)
        dtype, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        assert all(isinstance(d, int) and d >= 0 for d in shape) and isinstance(start, int) and isinstance(end, int)
        width = DTYPE_BYTES[dtype]
    except (AssertionError, KeyError, TypeError, ValueError):
        raise InvalidModelFileError(path, f"has a damaged entry for tensor '{name}'") from None
    n_bytes = math.prod(shape) * width
    if not 0 <= start <= end <= room or end - start != n_bytes:
        raise InvalidModelFileError(path, f"is truncated or damaged: tensor '{name}' lies outside the file")
    return _Tensor(name, tuple(shape), n_bytes)


def _gguf_tensors(path: Path) -> list[_Tensor]:
    from engines.gguf.info import HEADER_SIZE, _check_header
    from engines.gguf.parse import ParseError, parse_gguf

    size = readable_file_size(path, InvalidModelFileError, "a model file")
    _, tensor_count, kv_count = _check_header(path, size)
    try:
        parsed = parse_gguf(path, HEADER_SIZE, tensor_count, kv_count)
    except (ParseError, OSError, ValueError) as exc:
        reason = f"is damaged or truncated: the GGUF metadata cannot be parsed ({exc})"
        raise InvalidModelFileError(path, reason) from None
    arch = parsed.fields.get("general.architecture")
    if isinstance(arch, str) and arch:
        raise InvalidModelFileError(path, f"is a '{arch}' language model, not an image generation model")
    tensors = []
    for entry in parsed.tensors:
        if entry.offset + entry.n_bytes > size:
            raise InvalidModelFileError(path, f"is truncated: tensor '{entry.name}' lies outside the file")
        tensors.append(_Tensor(entry.name, tuple(reversed(entry.shape)), entry.n_bytes))
    return tensors


def _diffusers_tensors(folder: Path) -> list[_Tensor]:
    tensors: list[_Tensor] = []
    for prefix, part in _DIFFUSERS_PARTS.items():
        file = folder / part
        if not file.is_file():
            raise InvalidModelFileError(folder, f"is not a diffusers Stable Diffusion folder ({part} is missing)")
        tensors += _safetensors_tensors(file, readable_file_size(file, InvalidModelFileError, "a model file"), prefix)
    return tensors


def _first(by_name: dict[str, _Tensor], names: Iterable[str]) -> _Tensor | None:
    return next((by_name[n] for n in names if n in by_name), None)


def _family(path: Path, by_name: dict[str, _Tensor]) -> str:
    attn = _first(by_name, _CROSS_ATTN)
    if attn is None:
        raise InvalidModelFileError(path, "is not a Stable Diffusion model (it has no UNet tensors)")
    xl = _first(by_name, _CROSS_ATTN_XL)
    width = xl.shape[-1] if xl is not None and xl.shape[-1] == 2048 else attn.shape[-1]
    family = _WIDTHS.get(width) if len(attn.shape) == 2 else None
    if family is None:
        raise InvalidModelFileError(path, f"has a UNet of an unknown kind (cross-attention width {width})")
    if _first(by_name, _VAE) is None:
        raise InvalidModelFileError(path, "has no VAE decoder; Candeia needs a single-file checkpoint with its VAE")
    if not any(name.startswith(_TEXT) for name in by_name):
        raise InvalidModelFileError(path, "has no text encoder; Candeia needs a single-file checkpoint with it")
    return family
