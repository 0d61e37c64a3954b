"""A first, cheap look at an ONNX model folder (the full probe runs with ONNX Runtime)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engines.errors import InvalidModelFileError

# an ONNX Stable Diffusion folder (optimum's export: model_index.json, unet/model.onnx, ...) has no
# config.json at its top; engines/imagegen/onnx/folder.py validates it in full
STABLE_DIFFUSION = "stable-diffusion"
# model_type in config.json -> tasks Candeia runs it for
_TASKS_BY_MODEL_TYPE = {
    "marian": ["translate"],
    "m2m_100": ["translate"],
    "nllb": ["translate"],
    "mbart": ["translate"],
    "t5": ["translate"],
    "vision-encoder-decoder": ["caption"],
    "bert": ["embed"],
    STABLE_DIFFUSION: ["image"],
}


@dataclass(frozen=True)
class OnnxFolderInfo:
    path: Path
    onnx_files: list[Path]
    model_type: str | None
    total_size: int
    tasks: list[str] = field(default_factory=list)


def inspect_onnx_folder(folder: Path) -> OnnxFolderInfo:
    if not folder.is_dir():
        raise InvalidModelFileError(folder, "is not a folder")
    onnx_files = sorted(p for p in folder.rglob("*.onnx") if p.is_file())
    if not onnx_files:
        raise InvalidModelFileError(folder, "holds no .onnx files (nor a GGUF file)")
    for file in onnx_files:
        with file.open("rb") as fh:
            first = fh.read(1)
        # An ONNX ModelProto starts with a protobuf field tag; text or empty files do not.
        if not first or first[0] not in (0x08, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42, 0x4A, 0x52):
            raise InvalidModelFileError(file, "is not an ONNX model (empty or not protobuf)")
    model_type: str | None = None
    config = folder / "config.json"
    if config.is_file():
        try:
            raw = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidModelFileError(config, f"is not valid JSON ({exc})") from exc
        value = raw.get("model_type") if isinstance(raw, dict) else None
        model_type = value if isinstance(value, str) else None
    if model_type is None and (folder / "model_index.json").is_file() and (folder / "unet" / "model.onnx").is_file():
        model_type = STABLE_DIFFUSION
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return OnnxFolderInfo(
        path=folder,
        onnx_files=onnx_files,
        model_type=model_type,
        total_size=total,
        tasks=list(_TASKS_BY_MODEL_TYPE.get(model_type or "", [])),
    )
