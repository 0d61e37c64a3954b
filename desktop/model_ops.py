"""Model file operations run on the file workers: import one file, scan a folder, verify, delete.

`scan_folder` is a plain recursive *.gguf registration until engines/scan.py (other apps' model
folders, ONNX folders) lands; swap the job body for the core scan then.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from engines.errors import CandeiaError
from engines.gguf_info import read_gguf
from engines.jobs import Cancelled, CancelToken
from engines.store import InstalledModel, ModelFormat

from .appcontext import AppContext
from .workers import Task


@dataclass
class ScanResult:
    added: list[InstalledModel] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: reason"


def import_file(ctx: AppContext, path: Path, copy: bool = False) -> Task:
    store = ctx.store

    def job(cancel: CancelToken) -> InstalledModel:
        return store.add(path, copy=copy)

    task = ctx.files.start("import", job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task


def scan_folder(ctx: AppContext, folder: Path) -> Task:
    store = ctx.store

    def job(cancel: CancelToken) -> ScanResult:
        result = ScanResult()
        for path in sorted(folder.rglob("*")):
            cancel.raise_if_cancelled()
            if path.suffix.lower() != ".gguf" or not path.is_file():
                continue
            try:
                if store.find_by_path(path.resolve()) is None:
                    result.added.append(store.add(path))
            except CandeiaError as exc:
                result.skipped.append(f"{path.name}: {exc}")
        return result

    task = ctx.files.start("scan", job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task


def verify_model(ctx: AppContext, model: InstalledModel) -> Task:
    """Check the file is there, still parses, and matches its recorded size and sha256 (when known)."""

    def job(cancel: CancelToken) -> str:
        path = Path(model.path)
        if not path.exists():
            raise CandeiaError(f"{path} is missing")
        if model.format is ModelFormat.gguf:
            info = read_gguf(path)
            if info.file_size != model.size:
                raise CandeiaError(f"{path.name} changed size since it was added ({model.size} → {info.file_size})")
        if model.sha256:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(4 * 1024 * 1024):
                    if cancel.cancelled:
                        raise Cancelled()
                    digest.update(chunk)
            if digest.hexdigest() != model.sha256:
                raise CandeiaError(f"{path.name} does not match its sha256 checksum")
            return "sha256"
        return "header"

    return ctx.files.start("verify", job)


def delete_model(ctx: AppContext, model_id: str) -> Task:
    store = ctx.store

    def job(cancel: CancelToken) -> InstalledModel:
        return store.remove(model_id)

    task = ctx.files.start("delete", job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task
