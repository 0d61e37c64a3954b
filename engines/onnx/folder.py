"""What every optimum-exported ONNX encoder-decoder folder shares (translation and captioning models).

The graphs sit beside `config.json` or in an `onnx/` subfolder (the layout of the hub's ONNX
repositories). The decoder is either merged (`decoder_model_merged`, one graph with an `If` on the
cache) or a pair (`decoder_model` for the first step, `decoder_with_past_model` for the rest).
Variants carry a suffix: `encoder_model_quantized.onnx`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError

ENCODER = "encoder_model"
DECODER_MERGED = "decoder_model_merged"
DECODER = "decoder_model"
DECODER_WITH_PAST = "decoder_with_past_model"


@dataclass(frozen=True)
class EncoderDecoderGraphs:
    encoder: Path
    decoder_merged: Path | None
    decoder: Path | None  # with decoder_with_past, only when there is no merged decoder
    decoder_with_past: Path | None


def read_json(path: Path, *, missing: str | None) -> dict[str, Any]:
    """A JSON object file; `missing`: the reason given when it does not exist (None: optional, `{}`)."""
    if not path.is_file():
        if missing is not None:
            raise InvalidModelFileError(path, missing)
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidModelFileError(path, "does not hold a JSON object")
    return data


def graph_folder(root: Path, suffixes: Sequence[str]) -> Path | None:
    """`root` or `root/onnx`, whichever holds an encoder graph with one of `suffixes` ("" for none)."""
    for candidate in (root, root / "onnx"):
        if any((candidate / f"{ENCODER}{suffix}.onnx").is_file() for suffix in suffixes):
            return candidate
    return None


def find_graphs(folder: Path, suffix: str) -> EncoderDecoderGraphs | None:
    """The encoder and a complete decoder with `suffix` in `folder` (the merged decoder preferred)."""

    def graph(stem: str) -> Path | None:
        path = folder / f"{stem}{suffix}.onnx"
        return path if path.is_file() else None

    encoder, merged = graph(ENCODER), graph(DECODER_MERGED)
    plain, with_past = graph(DECODER), graph(DECODER_WITH_PAST)
    if encoder is None or (merged is None and (plain is None or with_past is None)):
        return None
    return EncoderDecoderGraphs(encoder=encoder, decoder_merged=merged, decoder=None if merged else plain,
                                decoder_with_past=None if merged else with_past)
