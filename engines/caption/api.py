"""Open a captioner from what a user typed: an installed model id, an ONNX folder or a GGUF file."""

from __future__ import annotations

from pathlib import Path

from engines.caption.types import Captioner
from engines.errors import InvalidModelFileError
from engines.settings import load_settings
from engines.store.model_store import ModelStore
from engines.store.models import resolve_model


def open_captioner(
    ref: str,
    *,
    threads: int | None = None,
    mmproj: str | Path | None = None,
    gpu_layers: int | None = None,
    context_size: int | None = None,
    variant: str | None = None,
    store: ModelStore | None = None,
) -> Captioner:
    """An ONNX vision-encoder-decoder folder gives an OnnxCaptioner; a GGUF vision-language model
    (with its mmproj beside it, in the store, or given) gives a HostedVisionCaptioner (in an engine host process)."""
    store = store or ModelStore()
    resolved = resolve_model(ref, store)
    settings = load_settings()
    threads = threads or settings.threads
    path = resolved.path
    if path.is_dir():
        from engines.caption.onnx_engine import OnnxCaptioner

        return OnnxCaptioner(path, threads=threads, variant=variant)
    if path.suffix.lower() == ".onnx":
        from engines.caption.onnx_engine import OnnxCaptioner

        return OnnxCaptioner(path.parent, threads=threads, variant=variant)
    if path.suffix.lower() == ".gguf" or path.is_file():
        from engines.caption.hosted import HostedVisionCaptioner
        from engines.caption.llama_vision import find_mmproj

        companions = resolved.installed.companions if resolved.installed is not None else {}
        projector = Path(mmproj) if mmproj is not None else find_mmproj(path, companions)
        return HostedVisionCaptioner.load(
            path,
            projector,
            threads=threads,
            gpu_layers=settings.gpu_layers if gpu_layers is None else gpu_layers,
            context_size=context_size or min(settings.context_size, 4096),
        )
    raise InvalidModelFileError(path, "is neither an ONNX captioning folder nor a GGUF vision model")
