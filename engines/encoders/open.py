"""Open a text encoder from what a user typed: an installed model id, an ONNX folder or a .gguf file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engines.encoders.base import TextEncoder
from engines.errors import InvalidModelFileError
from engines.onnx.folder import read_json


@dataclass(frozen=True)
class Prompts:
    """Text put before queries and passages: E5-style models were trained with "query: "/"passage: "."""

    query: str = ""
    passage: str = ""


def open_encoder(ref: str, *, threads: int | None = None) -> TextEncoder:
    from engines.store.models import resolve_model

    resolved = resolve_model(ref)
    path = resolved.path
    name = resolved.label
    if path.is_file() and path.suffix.lower() == ".gguf":
        from engines.host.embed import HostedEmbedder
        from engines.settings import load_settings

        settings = load_settings()
        encoder: TextEncoder = HostedEmbedder(path, threads=threads or settings.threads,
                                              gpu_layers=settings.gpu_layers)
        encoder.name = name
        return encoder
    if path.is_dir() or path.suffix.lower() == ".onnx":
        from engines.encoders.onnx_encoder import OnnxTextEncoder

        return OnnxTextEncoder(path if path.is_dir() else path.parent, name=name, threads=threads)
    raise InvalidModelFileError(path, "is not an embedding model (an ONNX folder or a .gguf file)")


def read_prompts(ref_path: Path, name: str) -> Prompts:
    """The model's prompts from `config_sentence_transformers.json`; E5 models by name otherwise."""
    folder = ref_path if ref_path.is_dir() else ref_path.parent
    prompts = read_json(folder / "config_sentence_transformers.json", missing=None).get("prompts")
    if isinstance(prompts, dict) and prompts:
        query = prompts.get("query", "")
        passage = prompts.get("passage", prompts.get("document", ""))
        return Prompts(query if isinstance(query, str) else "", passage if isinstance(passage, str) else "")
    if "e5" in name.lower().replace("_", "-").split("-"):
        return Prompts("query: ", "passage: ")
    return Prompts()
