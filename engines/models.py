"""The core API for getting a usable model from what a user typed: an installed id or a path.

The GUI and the CLI both come through here, so validation and the first-load probe happen
the same way for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidModelFileError, ModelNotFoundError
from .gguf_info import GGUFInfo, read_gguf_once
from .host.chat import HostedChatEngine
from .host.repair import load_with_repair
from .llama.engine import LoadOptions
from .settings import Settings, load_settings
from .store import InstalledModel, ModelFormat, ModelStore, ProbeRecord


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    installed: InstalledModel | None

    @property
    def label(self) -> str:
        return self.installed.id if self.installed else self.path.name


def resolve_model(ref: str, store: ModelStore | None = None) -> ResolvedModel:
    """An installed id wins over a relative path of the same name."""
    store = store or ModelStore()
    try:
        model = store.get(ref)
        return ResolvedModel(Path(model.path), model)
    except ModelNotFoundError:
        pass
    path = Path(ref).expanduser()
    if path.exists():
        resolved = path.resolve()
        return ResolvedModel(resolved, store.find_by_path(resolved))
    known = ", ".join(m.id for m in store.installed()[:5])
    hint = f" (installed: {known})" if known else " (no models are installed; see 'candeia-cli models catalog')"
    raise ModelNotFoundError(f"'{ref}' is neither an installed model id nor an existing file{hint}")


def load_options_from(settings: Settings, **overrides: int | None) -> LoadOptions:
    values: dict[str, int | None] = {
        "context_size": settings.context_size,
        "threads": settings.threads,
        "gpu_layers": settings.gpu_layers,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LoadOptions(
        context_size=int(values["context_size"] or settings.context_size),
        threads=values["threads"],
        gpu_layers=int(values["gpu_layers"] or 0),
    )


def _stamp(path: Path) -> ProbeRecord:
    stat = path.stat()
    return ProbeRecord(size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def inspect_gguf(ref: str, store: ModelStore | None = None) -> tuple[ResolvedModel, GGUFInfo]:
    resolved = resolve_model(ref, store)
    if resolved.installed is not None and resolved.installed.format is not ModelFormat.gguf:
        raise InvalidModelFileError(resolved.path, "is an ONNX model, not a GGUF chat model")
    return resolved, read_gguf_once(resolved.path)


def open_chat_model(
    ref: str,
    options: LoadOptions | None = None,
    *,
    store: ModelStore | None = None,
) -> HostedChatEngine:
    """Resolve, validate and load a GGUF chat model in an engine host of its own. The first load of a
    file on this computer also checks it with a batched decode, and falls back to safe settings if
    llama.cpp crashes (engines/host/repair.py); `repair` then says what changed."""
    store = store or ModelStore()
    resolved, info = inspect_gguf(ref, store)
    if info.is_companion:
        raise InvalidModelFileError(resolved.path, f"is a '{info.architecture}' projector, not a chat model")

    def start(chosen: LoadOptions, probe: bool) -> HostedChatEngine:
        return HostedChatEngine(info, chosen, probe=probe)

    engine, repair = load_with_repair(resolved.path, options or load_options_from(load_settings()), start)
    engine.repair = repair
    if resolved.installed is not None and resolved.installed.probe != _stamp(resolved.path):
        store.update(resolved.installed.id, probe=_stamp(resolved.path))
    return engine
