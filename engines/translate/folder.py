"""Find and check the files of an optimum-exported seq2seq folder (Marian, M2M100, NLLB).

The folder holds `config.json`, `generation_config.json`, the tokenizer files and the ONNX graphs,
either beside them or in an `onnx/` subfolder (the layout of the ONNX repositories on the hub).
Quantized graphs (`*_quantized.onnx`, `*_int8.onnx`) are picked when asked for or when they are
the only ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidModelFileError
from ..onnx_info import inspect_onnx_folder

Variant = Literal["auto", "fp32", "int8"]
QUANT_SUFFIXES = ("_quantized", "_int8", "_quant")
SUPPORTED_TYPES = ("marian", "m2m_100", "nllb", "nllb-moe")


@dataclass(frozen=True)
class Seq2SeqFiles:
    root: Path
    model_type: str
    config: dict[str, Any]
    generation: dict[str, Any]
    encoder: Path
    decoder_merged: Path | None
    decoder: Path | None
    decoder_with_past: Path | None
    quantized: bool

    @property
    def graphs(self) -> list[Path]:
        return [p for p in (self.encoder, self.decoder_merged, self.decoder, self.decoder_with_past) if p]


def _read_json(path: Path, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise InvalidModelFileError(path.parent, f"has no {path.name}; it is not a complete translation model")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidModelFileError(path, "does not hold a JSON object")
    return data


def _pick(folder: Path, stem: str, quantized: bool) -> Path | None:
    if not quantized:
        path = folder / f"{stem}.onnx"
        return path if path.is_file() else None
    for suffix in QUANT_SUFFIXES:
        path = folder / f"{stem}{suffix}.onnx"
        if path.is_file():
            return path
    return None


def _graph_folder(root: Path) -> Path:
    for candidate in (root, root / "onnx"):
        if any(candidate.glob("encoder_model*.onnx")):
            return candidate
    raise InvalidModelFileError(root, "has no encoder_model.onnx (nor onnx/encoder_model.onnx); "
                                      "export it with 'candeia-cli models convert'")


def locate_seq2seq(root: Path, variant: Variant = "auto") -> Seq2SeqFiles:
    """Check a folder's files (cheaply: JSON, names, ONNX headers) and say which graphs to load."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidModelFileError(root, "is not a folder; a translation model is a folder of ONNX files")
    graphs = _graph_folder(root)
    inspect_onnx_folder(graphs)  # every .onnx file must at least look like protobuf
    config = _read_json(root / "config.json", required=True)
    generation = _read_json(root / "generation_config.json", required=False)
    model_type = str(config.get("model_type", ""))
    if model_type not in SUPPORTED_TYPES:
        raise InvalidModelFileError(
            root, f"is a '{model_type or 'unknown'}' model; the ONNX translation engine runs Marian (opus-mt), "
                  "M2M100 and NLLB models")
    choices = [False, True] if variant == "auto" else [variant == "int8"]
    for quantized in choices:
        encoder = _pick(graphs, "encoder_model", quantized)
        merged = _pick(graphs, "decoder_model_merged", quantized)
        decoder = _pick(graphs, "decoder_model", quantized)
        with_past = _pick(graphs, "decoder_with_past_model", quantized)
        if encoder is not None and (merged is not None or (decoder is not None and with_past is not None)):
            return Seq2SeqFiles(
                root=root, model_type=model_type, config=config, generation=generation, encoder=encoder,
                decoder_merged=merged, decoder=None if merged else decoder,
                decoder_with_past=None if merged else with_past, quantized=quantized,
            )
    kind = {"auto": "", "fp32": "full-precision ", "int8": "int8 "}[variant]
    raise InvalidModelFileError(
        graphs, f"has no complete {kind}set of graphs: it needs encoder_model.onnx with decoder_model_merged.onnx "
                "(or decoder_model.onnx and decoder_with_past_model.onnx)")
