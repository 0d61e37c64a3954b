"""The core API for getting a usable model from what a user typed: an installed id or a path.

The GUI and the CLI both come through here, so validation and the first-load probe happen
the same way for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engines.errors import InvalidModelFileError, ModelNotFoundError
from engines.gguf.info import GGUFInfo, read_gguf_once
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore


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


def inspect_gguf(ref: str, store: ModelStore | None = None) -> tuple[ResolvedModel, GGUFInfo]:
    resolved = resolve_model(ref, store)
    if resolved.installed is not None and resolved.installed.format is not ModelFormat.gguf:
        raise InvalidModelFileError(resolved.path, "is an ONNX model, not a GGUF chat model")
    return resolved, read_gguf_once(resolved.path)
