"""Model file operations run on the file workers: import one file, scan a folder, verify, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop.appcontext import AppContext
from desktop.workers import Task
from engines.jobs import CancelToken
from engines.store.model_store import InstalledModel
from engines.store.scan import existing_known_folders, scan
from engines.store.verify import verify_model as core_verify


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


def other_apps_folders() -> list[Path]:
    """Model folders of LM Studio, GPT4All, Jan, Ollama and the Hugging Face cache that exist on this computer."""
    return [known.path for known in existing_known_folders()]


def scan_folder(ctx: AppContext, folder: Path | list[Path]) -> Task:
    """Register every model under `folder` (GGUF files and ONNX folders), linked in place (engines/store/scan.py)."""
    store = ctx.store
    roots = folder if isinstance(folder, list) else [folder]

    def job(cancel: CancelToken) -> ScanResult:
        report = scan(roots, store)
        return ScanResult(list(report.added), [f"{path.name}: {reason}" for path, reason in report.skipped])

    task = ctx.files.start("scan", job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task


def verify_model(ctx: AppContext, model: InstalledModel) -> Task:
    """Re-hash the files against the recorded sha256; a linked GGUF without one gets it recorded now."""
    store = ctx.store

    def job(cancel: CancelToken) -> str:
        return "recorded" if core_verify(model.id, store).recorded_now else "sha256"

    return ctx.files.start("verify", job)


def delete_model(ctx: AppContext, model_id: str) -> Task:
    store = ctx.store

    def job(cancel: CancelToken) -> InstalledModel:
        return store.remove(model_id)

    task = ctx.files.start("delete", job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task
