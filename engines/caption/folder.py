"""Find and check the files of an ONNX vision-encoder-decoder folder as optimum exports it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidModelFileError

ENCODER = "encoder_model"
DECODER_MERGED = "decoder_model_merged"
DECODER = "decoder_model"
DECODER_WITH_PAST = "decoder_with_past_model"


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
            p.stat().st_size for p in self.onnx_files[0].parent.glob("*.onnx_data")
        )


def _read_json(path: Path, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise InvalidModelFileError(path, "is missing from the model folder")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidModelFileError(path, "does not hold a JSON object")
    return data


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
    candidates = [root, root / "onnx"]
    onnx_dir = next((d for d in candidates if (d / f"{ENCODER}{suffix}.onnx").is_file()), None)
    if onnx_dir is None:
        what = f"'{ENCODER}{suffix}.onnx'"
        raise InvalidModelFileError(
            root, f"has no {what}; export the model with optimum's 'image-to-text-with-past' task"
        )

    def onnx(name: str) -> Path | None:
        path = onnx_dir / f"{name}{suffix}.onnx"
        return path if path.is_file() else None

    merged, plain, with_past = onnx(DECODER_MERGED), onnx(DECODER), onnx(DECODER_WITH_PAST)
    if merged is None and (plain is None or with_past is None):
        if plain is not None:
            raise InvalidModelFileError(
                root, "has a decoder without its key/value cache; export with 'image-to-text-with-past'"
            )
        raise InvalidModelFileError(
            root, f"has no '{DECODER_MERGED}{suffix}.onnx' (nor a decoder and decoder-with-past)"
        )
    dirs = [onnx_dir, root] if onnx_dir != root else [root]
    config_path = _first(dirs, "config.json")
    config = _read_json(config_path, required=True)
    if config.get("model_type") != "vision-encoder-decoder":
        raise InvalidModelFileError(
            config_path, f"describes a '{config.get('model_type')}' model, not a vision-encoder-decoder captioner"
        )
    generation = _read_json(_first(dirs, "generation_config.json"), required=False)
    tokenizer = _first(dirs, "tokenizer.json")
    if not tokenizer.is_file():
        raise InvalidModelFileError(tokenizer, "is missing (the model folder needs a fast-tokenizer tokenizer.json)")
    return CaptionFiles(
        root=root,
        encoder=onnx_dir / f"{ENCODER}{suffix}.onnx",
        decoder_merged=merged,
        decoder=plain if merged is None else None,
        decoder_with_past=with_past if merged is None else None,
        preprocessor=_first(dirs, "preprocessor_config.json"),
        tokenizer=tokenizer,
        config=config,
        generation=generation,
        tokenizer_config=_read_json(_first(dirs, "tokenizer_config.json"), required=False),
    )
