"""Model operations run on the file workers: import one file, scan a folder, verify, delete, add or remove a
remote endpoint."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.appcontext import AppContext
from desktop.workers import Task
from engines.download.offline import is_offline
from engines.errors import UsageError
from engines.jobs import CancelToken
from engines.remote.client import OpenAIClient
from engines.store.model_store import InstalledModel
from engines.store.remotes import RemoteEndpoint
from engines.store.remotes import add_remote as add_remote_endpoint
from engines.store.remotes import refresh_remote as refresh_remote_endpoint
from engines.store.scan import existing_known_folders, scan
from engines.store.verify import verify_model as core_verify


@dataclass
class ScanResult:
    added: list[InstalledModel] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: reason"


def _changing(ctx: AppContext, name: str, job: Callable[[CancelToken], object]) -> Task:
    """Run `job` on the file workers; the model lists refresh when it succeeds."""
    task = ctx.files.start(name, job)
    task.succeeded.connect(lambda _: ctx.models_changed.emit())
    return task


def import_file(ctx: AppContext, path: Path, copy: bool = False) -> Task:
    store = ctx.store
    return _changing(ctx, "import", lambda cancel: store.add(path, copy=copy))


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

    return _changing(ctx, "scan", job)


def verify_model(ctx: AppContext, model: InstalledModel) -> Task:
    """Re-hash the files against the recorded sha256; a linked GGUF without one gets it recorded now."""
    store = ctx.store

    def job(cancel: CancelToken) -> str:
        return "recorded" if core_verify(model.id, store).recorded_now else "sha256"

    return ctx.files.start("verify", job)


def delete_model(ctx: AppContext, model_id: str) -> Task:
    store = ctx.store
    return _changing(ctx, "delete", lambda cancel: store.remove(model_id))


@dataclass(frozen=True)
class RemoteForm:
    """What the "Add remote…" dialog asks for."""

    name: str
    url: str
    key_env: str | None = None
    key: str | None = None
    confirmed: bool = False
    ca_file: str | None = None


def add_remote(ctx: AppContext, form: RemoteForm) -> Task:
    """Read the endpoint's models through the guard (off the UI thread) and register it."""
    settings = ctx.settings

    def job(cancel: CancelToken) -> RemoteEndpoint:
        api_key = form.key or (os.environ.get(form.key_env) if form.key_env else None)
        if form.key_env and not api_key:
            raise UsageError(f"the environment variable {form.key_env} is not set")
        client = OpenAIClient(form.url, api_key=api_key, offline=is_offline(settings), confirmed=form.confirmed,
                              ca_file=form.ca_file)
        return add_remote_endpoint(ctx.remotes, form.name, form.url, client, key_env=form.key_env, key=form.key,
                                   confirmed=form.confirmed, ca_file=form.ca_file)

    return _changing(ctx, "add remote", job)


def refresh_remote(ctx: AppContext, name: str) -> Task:
    """Read the endpoint's models again through the guard (off the UI thread): (endpoint, added, gone)."""
    remotes, settings = ctx.remotes, ctx.settings

    def job(cancel: CancelToken) -> tuple[RemoteEndpoint, list[str], list[str]]:
        from engines.host.remote_chat import client_for  # deferred: not needed at start-up

        return refresh_remote_endpoint(remotes, name, client_for(remotes.endpoint(name), settings))

    return _changing(ctx, "refresh remote", job)


def remove_remote(ctx: AppContext, name: str) -> Task:
    remotes = ctx.remotes
    return _changing(ctx, "remove remote", lambda cancel: remotes.remove(name))
