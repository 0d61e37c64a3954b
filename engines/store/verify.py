"""Re-hash an installed model's files against the sha256 recorded when it was downloaded or first verified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from engines.errors import CandeiaError, ModelNotFoundError
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore


class VerifyError(CandeiaError, ValueError):
    """A file does not hash to what was recorded."""


@dataclass(frozen=True)
class VerifyResult:
    model: InstalledModel
    checked: dict[str, str]  # relative path -> sha256 (all matched)
    recorded_now: bool  # nothing was recorded before; this run recorded the sha256


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def model_folder(model: InstalledModel) -> Path:
    path = Path(model.path)
    return path if model.format is ModelFormat.onnx else path.parent


def verify_model(model_id: str, store: ModelStore | None = None) -> VerifyResult:
    """Raise VerifyError on the first mismatch; record a first sha256 for a linked GGUF that has none."""
    store = store or ModelStore()
    model = store.get(model_id)
    recorded = dict(model.file_hashes)
    if not recorded and model.sha256 and model.format is ModelFormat.gguf:
        recorded = {Path(model.path).name: model.sha256}
    if not recorded:
        if model.format is not ModelFormat.gguf:
            raise VerifyError(f"'{model.id}' has no recorded checksums to verify against")
        digest = sha256_file(Path(model.path))
        model = store.update(model.id, sha256=digest)
        return VerifyResult(model, {Path(model.path).name: digest}, recorded_now=True)
    folder = model_folder(model)
    for rel, expected in recorded.items():
        path = folder.joinpath(*rel.split("/"))
        if not path.is_file():
            raise ModelNotFoundError(f"{path} is missing; download the model again")
        if sha256_file(path) != expected:
            raise VerifyError(f"{path} does not match its recorded sha256 (the file changed or is damaged)")
    return VerifyResult(model, recorded, recorded_now=False)
