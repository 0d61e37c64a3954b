"""Pooling and normalisation as the folder's sentence-transformers modules say (`modules.json`,
`1_Pooling/config.json`, a `Normalize` module). Without them: mean pooling, no normalisation, which
is what sentence-transformers itself does when it wraps a plain transformers checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from engines.errors import InvalidModelFileError
from engines.onnx.folder import read_json

PoolingMode = Literal["mean", "cls", "max", "lasttoken"]
_MODES = ("mean", "cls", "max", "lasttoken")
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PoolingConfig:
    mode: PoolingMode = "mean"
    normalize: bool = False


def _modules(folder: Path) -> list[dict[str, object]]:
    path = folder / "modules.json"
    if not path.is_file():
        return []
    try:
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"is not valid JSON ({exc})") from None
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def read_pooling(folder: Path) -> PoolingConfig:
    modules = _modules(folder)
    pooling_dir = folder / "1_Pooling"
    normalize = False
    for module in modules:
        kind = str(module.get("type", ""))
        if kind.endswith("Pooling"):
            pooling_dir = folder / str(module.get("path", "1_Pooling"))
        elif kind.endswith("Normalize"):
            normalize = True
    config = read_json(pooling_dir / "config.json", missing=None)
    mode: PoolingMode = "mean"
    named = config.get("pooling_mode")  # sentence-transformers 5 writes one name instead of the flags
    if isinstance(named, str):
        if named not in _MODES:
            raise InvalidModelFileError(pooling_dir / "config.json", f"asks for pooling '{named}', which Candeia "
                                        f"does not do (it does {', '.join(_MODES)})")
        mode = named  # type: ignore[assignment]
    elif config.get("pooling_mode_cls_token"):
        mode = "cls"
    elif config.get("pooling_mode_max_tokens"):
        mode = "max"
    elif config.get("pooling_mode_lasttoken"):
        mode = "lasttoken"
    return PoolingConfig(mode, normalize)


def pool(hidden: FloatArray, mask: npt.NDArray[np.int64], config: PoolingConfig) -> FloatArray:
    """(batch, tokens, dims) token states -> (batch, dims) sentence vectors."""
    if config.mode == "cls":
        out = hidden[:, 0, :]
    elif config.mode == "lasttoken":
        last = np.maximum(mask.sum(axis=1) - 1, 0)
        out = hidden[np.arange(hidden.shape[0]), last, :]
    elif config.mode == "max":
        masked = np.where(mask[:, :, None] > 0, hidden, np.float32(-1e9))
        out = masked.max(axis=1)
    else:
        weights = mask[:, :, None].astype(np.float32)
        out = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))
    out = out.astype(np.float32, copy=False)
    return normalize(out) if config.normalize else out


def normalize(vectors: FloatArray) -> FloatArray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: FloatArray = (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
    return out
