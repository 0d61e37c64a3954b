"""Find and check the files of an ONNX vision-encoder-decoder folder as optimum exports it (the graphs as
engines/onnx/folder.py finds them for every encoder-decoder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError
from engines.onnx.data_files import folder_data_files
from engines.onnx.folder import DECODER, DECODER_MERGED, ENCODER, find_graphs, graph_folder, read_json

_MISSING = "is missing from the model folder"


@dataclass(frozen=True)
class CaptionFiles:
    root: Path
    encoder: Path
    decoder_merged: Path | None
    decoder: Path | None
    decoder_with_past: Path | None
    preprocessor: Path
    tokenizer: Path
    config: dict[str, Any] = field(repr=False)
    generation: dict[str, Any] = field(repr=False)
    tokenizer_config: dict[str, Any] = field(repr=False)

    @property
    def onnx_files(self) -> list[Path]:
        return [p for p in (self.encoder, self.decoder_merged, self.decoder, self.decoder_with_past) if p is not None]

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.onnx_files) + sum(
            p.stat().st_size for p in folder_data_files(self.onnx_files[0].parent)
        )


def _first(dirs: list[Path], name: str) -> Path:
    for d in dirs:
        if (d / name).is_file():
            return d / name
    return dirs[0] / name


def find_caption_files(folder: str | Path, variant: str | None = None) -> CaptionFiles:
    """`variant` picks files with a suffix, e.g. "quantized" for `encoder_model_quantized.onnx`."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidModelFileError(root, "is not a folder (an ONNX captioning model is a folder of files)")
    suffix = f"_{variant}" if variant else ""
    onnx_dir = graph_folder(root, [suffix])
    if onnx_dir is None:
        what = f"'{ENCODER}{suffix}.onnx'"
        raise InvalidModelFileError(
            root, f"has no {what}; export the model with optimum's 'image-to-text-with-past' task"
        )
    graphs = find_graphs(onnx_dir, suffix)
    if graphs is None:
        if (onnx_dir / f"{DECODER}{suffix}.onnx").is_file():
            raise InvalidModelFileError(
                root, "has a decoder without its key/value cache; export with 'image-to-text-with-past'"
            )
        raise InvalidModelFileError(
            root, f"has no '{DECODER_MERGED}{suffix}.onnx' (nor a decoder and decoder-with-past)"
        )
    dirs = [onnx_dir, root] if onnx_dir != root else [root]
    config_path = _first(dirs, "config.json")
    config = read_json(config_path, missing=_MISSING)
    if config.get("model_type") != "vision-encoder-decoder":
        raise InvalidModelFileError(
            config_path, f"describes a '{config.get('model_type')}' model, not a vision-encoder-decoder captioner"
        )
    generation = read_json(_first(dirs, "generation_config.json"), missing=None)
    tokenizer = _first(dirs, "tokenizer.json")
    if not tokenizer.is_file():
        raise InvalidModelFileError(tokenizer, "is missing (the model folder needs a fast-tokenizer tokenizer.json)")
    return CaptionFiles(
        root=root,
        encoder=graphs.encoder,
        decoder_merged=graphs.decoder_merged,
        decoder=graphs.decoder,
        decoder_with_past=graphs.decoder_with_past,
        preprocessor=_first(dirs, "preprocessor_config.json"),
        tokenizer=tokenizer,
        config=config,
        generation=generation,
        tokenizer_config=read_json(_first(dirs, "tokenizer_config.json"), missing=None),
    )
