"""Find and check the files of an optimum-exported seq2seq folder (Marian, M2M100, NLLB).

The folder holds `config.json`, `generation_config.json`, the tokenizer files and the ONNX graphs
(found as engines/onnx/folder.py says). Quantized graphs (`*_quantized.onnx`, `*_int8.onnx`, one
suffix for the whole set) are picked when asked for or when they are the only ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engines.errors import InvalidModelFileError
from engines.onnx.folder import find_graphs, graph_folder, read_json
from engines.onnx.info import inspect_onnx_folder

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


def _graph_folder(root: Path) -> Path:
    folder = graph_folder(root, ("", *QUANT_SUFFIXES))
    if folder is None:
        raise InvalidModelFileError(root, "has no encoder_model.onnx (nor onnx/encoder_model.onnx); "
                                          "export it with 'candeia-cli models convert'")
    return folder


def locate_seq2seq(root: Path, variant: Variant = "auto") -> Seq2SeqFiles:
    """Check a folder's files (cheaply: JSON, names, ONNX headers) and say which graphs to load."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidModelFileError(root, "is not a folder; a translation model is a folder of ONNX files")
    graphs = _graph_folder(root)
    inspect_onnx_folder(graphs)  # every .onnx file must at least look like protobuf
    config = read_json(root / "config.json", missing="is missing; it is not a complete translation model")
    generation = read_json(root / "generation_config.json", missing=None)
    model_type = str(config.get("model_type", ""))
    if model_type not in SUPPORTED_TYPES:
        raise InvalidModelFileError(
            root, f"is a '{model_type or 'unknown'}' model; the ONNX translation engine runs Marian (opus-mt), "
                  "M2M100 and NLLB models")
    choices = [False, True] if variant == "auto" else [variant == "int8"]
    for quantized in choices:
        for suffix in QUANT_SUFFIXES if quantized else ("",):
            found = find_graphs(graphs, suffix)
            if found is not None:
                return Seq2SeqFiles(
                    root=root, model_type=model_type, config=config, generation=generation, encoder=found.encoder,
                    decoder_merged=found.decoder_merged, decoder=found.decoder,
                    decoder_with_past=found.decoder_with_past, quantized=quantized,
                )
    kind = {"auto": "", "fp32": "full-precision ", "int8": "int8 "}[variant]
    raise InvalidModelFileError(
        graphs, f"has no complete {kind}set of graphs: it needs encoder_model.onnx with decoder_model_merged.onnx "
                "(or decoder_model.onnx and decoder_with_past_model.onnx)")
