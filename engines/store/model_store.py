"""The local model store: a manifest of registered models, written atomically under a lock.

Models are linked in place by default (the user's file stays where it is, shared with other
apps) or copied into the data folder. Each model gets a stable id when registered.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.atomic import atomic_write_json
from engines.errors import InvalidModelFileError, ModelNotFoundError, StoreError
from engines.gguf.info import read_gguf, require_model
from engines.onnx.derived import remove_derived
from engines.onnx.info import inspect_onnx_folder
from engines.paths import cache_dir, manifest_file, models_dir
from engines.security.safe_names import UnsafeNameError, check_model_id

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
COPY_CHUNK = 8 * 1024 * 1024


class ModelFormat(str, Enum):
    gguf = "gguf"
    onnx = "onnx"
    remote = "remote"  # served by another computer (engines/store/remotes.py); never in the model list file


class ProbeRecord(BaseModel):
    """A successful child-process load of exactly this file (size and mtime pin the version)."""

    model_config = ConfigDict(extra="ignore")
    size: int
    mtime_ns: int


class InstalledModel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    format: ModelFormat
    path: str
    linked: bool = Field(description="True when the file belongs to the user and stays in place.")
    size: int
    architecture: str | None = None
    card_id: str | None = None
    tasks: list[str] = Field(default_factory=list)
    companions: dict[str, str] = Field(default_factory=dict, description="role -> path, e.g. mmproj")
    sha256: str | None = None
    repo: str | None = Field(default=None, description="Hub repository a download came from.")
    commit: str | None = Field(default=None, description="The commit every file was downloaded at.")
    file_hashes: dict[str, str] = Field(
        default_factory=dict, description="sha256 of each file, by path relative to the model's folder"
    )
    added_at: str = ""
    probe: ProbeRecord | None = None
    remote: str | None = Field(default=None, description="the remote endpoint's name, for a remote model")

    @property
    def file(self) -> Path:
        return Path(self.path)


@dataclass(frozen=True)
class Download:
    """What a finished download knows that its files do not say (see `ModelStore.register_download`)."""

    model_id: str
    name: str
    card_id: str | None
    tasks: list[str]
    repo: str
    commit: str
    file_hashes: dict[str, str]  # every downloaded file: path in the repository -> sha256
    main_file: str | None = None  # the GGUF model's path in the repository; None for an ONNX folder
    companions: dict[str, str] = field(default_factory=dict)  # role -> path in the repository


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: int = MANIFEST_VERSION
    models: list[InstalledModel] = Field(default_factory=list)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return (slug or "model")[:64]


class ModelStore:
    def __init__(self, manifest_path: Path | None = None, owned_dir: Path | None = None) -> None:
        self.manifest_path = manifest_path or manifest_file()
        self._owned_dir = owned_dir
        self._lock = FileLock(str(self.manifest_path) + ".lock", timeout=30)

    @property
    def owned_dir(self) -> Path:
        return self._owned_dir or models_dir()

    # -- reading -----------------------------------------------------------------------------
    def _read(self) -> _Manifest:
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _Manifest()
        except OSError as exc:
            raise StoreError(f"cannot read the model list {self.manifest_path}: {exc.strerror}") from exc
        try:
            return _Manifest.model_validate_json(text)
        except ValidationError as exc:
            backup = self.manifest_path.with_suffix(f".damaged-{int(time.time())}.json")
            shutil.copyfile(self.manifest_path, backup)
            raise StoreError(
                f"the model list {self.manifest_path} is damaged; a copy was kept at {backup}"
            ) from exc

    @contextmanager
    def _editing(self) -> Iterator[_Manifest]:
        with self._lock:
            manifest = self._read()
            yield manifest
            atomic_write_json(self.manifest_path, manifest.model_dump(mode="json"))

    def installed(self) -> list[InstalledModel]:
        return list(self._read().models)

    def get(self, model_id: str) -> InstalledModel:
        for model in self._read().models:
            if model.id == model_id:
                return model
        raise ModelNotFoundError(f"no installed model has the id '{model_id}'")

    def find_by_path(self, path: Path) -> InstalledModel | None:
        target = str(path.resolve())
        return next((m for m in self._read().models if m.path == target), None)

    # -- writing -----------------------------------------------------------------------------
    def add(
        self,
        path: str | Path,
        *,
        copy: bool = False,
        name: str | None = None,
        model_id: str | None = None,
        card_id: str | None = None,
        tasks: list[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> InstalledModel:
        """Validate and register a GGUF file or an ONNX model folder."""
        if model_id is not None:
            try:
                check_model_id(model_id)  # a copy goes into models/<id>: it must stay one folder name
            except UnsafeNameError as exc:
                raise StoreError(str(exc)) from None
        source = Path(path).expanduser()
        if not source.exists():
            raise InvalidModelFileError(source, "does not exist")
        source = source.resolve()
        fmt, architecture, size, guessed_tasks = _describe(source)
        existing = self.find_by_path(source)
        if existing is not None and not copy:
            return existing

        with self._editing() as manifest:
            taken = {m.id for m in manifest.models}
            new_id = model_id or _unique_id(slugify(name or _default_name(source)), taken)
            if new_id in taken:
                raise StoreError(f"a model with the id '{new_id}' is already installed")
        final_path = source
        if copy:
            final_path = self._copy_in(source, new_id, progress)
        entry = InstalledModel(
            id=new_id,
            name=name or _default_name(source),
            format=fmt,
            path=str(final_path),
            linked=not copy,
            size=size,
            architecture=architecture,
            card_id=card_id,
            tasks=tasks or guessed_tasks,
            added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        try:
            with self._editing() as manifest:
                if any(m.id == new_id for m in manifest.models):
                    raise StoreError(f"a model with the id '{new_id}' was registered meanwhile")
                manifest.models.append(entry)
        except BaseException:
            if copy:
                shutil.rmtree(final_path.parent if fmt is ModelFormat.gguf else final_path, True)
            raise
        return entry

    def register_download(self, folder: Path, download: Download) -> InstalledModel:
        """Validate and register a finished download whose files are already in `folder`.

        Raises the model's own problem (InvalidModelFileError, or an ONNX folder's CandeiaError)
        before anything is registered."""

        def inside(path: str) -> Path:
            return folder.joinpath(*path.split("/"))

        main = inside(download.main_file) if download.main_file else folder
        fmt, architecture, _, _ = _describe(main)
        return self.register(InstalledModel(
            id=download.model_id,
            name=download.name,
            format=fmt,
            path=str(main),
            linked=False,
            size=sum(inside(path).stat().st_size for path in download.file_hashes),
            architecture=architecture,
            card_id=download.card_id,
            tasks=list(download.tasks),
            companions={role: str(inside(path)) for role, path in download.companions.items()},
            sha256=download.file_hashes.get(download.main_file) if download.main_file else None,
            repo=download.repo,
            commit=download.commit,
            file_hashes=dict(download.file_hashes),
            added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        ))

    def register(self, entry: InstalledModel) -> InstalledModel:
        """Add an entry whose files are already in place."""
        with self._editing() as manifest:
            if any(m.id == entry.id for m in manifest.models):
                raise StoreError(f"a model with the id '{entry.id}' is already installed")
            manifest.models.append(entry)
        return entry

    def remove(self, model_id: str, *, delete_files: bool = True) -> InstalledModel:
        """Unregister a model; files Candeia owns are deleted, linked files are never touched.

        Files derived from the model's (see derived.py) are Candeia's own and go in either case."""
        with self._editing() as manifest:
            match = next((m for m in manifest.models if m.id == model_id), None)
            if match is None:
                raise ModelNotFoundError(f"no installed model has the id '{model_id}'")
            manifest.models.remove(match)
        if delete_files and not match.linked:
            owned = self.owned_dir / match.id
            if owned.exists() and owned.resolve().is_relative_to(self.owned_dir.resolve()):
                shutil.rmtree(owned, ignore_errors=True)
        try:  # last: the model is already gone; a cache that can't be cleared now is dropped when next made
            remove_derived(match.file, cache_dir())
        except OSError as exc:
            log.warning("could not clear the cached copies of %s: %s", match.id, exc)
        return match

    def update(self, model_id: str, **changes: Any) -> InstalledModel:
        with self._editing() as manifest:
            for index, model in enumerate(manifest.models):
                if model.id == model_id:
                    updated = model.model_copy(update=changes)
                    manifest.models[index] = updated
                    return updated
        raise ModelNotFoundError(f"no installed model has the id '{model_id}'")

    def _copy_in(self, source: Path, model_id: str, progress: Callable[[int, int], None] | None) -> Path:
        target_dir = self.owned_dir / model_id
        if target_dir.exists():
            raise StoreError(f"{target_dir} already exists; remove it or choose another id")
        target_dir.mkdir(parents=True)
        try:
            files = [source] if source.is_file() else [p for p in sorted(source.rglob("*")) if p.is_file()]
            total = sum(p.stat().st_size for p in files)
            free = shutil.disk_usage(target_dir).free
            if total > free:
                raise StoreError(f"not enough disk space to copy {source}: needs {total} bytes, {free} free")
            done = 0
            for file in files:
                rel = file.name if source.is_file() else file.relative_to(source)
                dest = target_dir / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                part = dest.with_name(dest.name + ".part")
                with file.open("rb") as src, part.open("wb") as out:
                    while chunk := src.read(COPY_CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
                part.replace(dest)
            return target_dir / source.name if source.is_file() else target_dir
        except BaseException:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise


def _default_name(source: Path) -> str:
    return source.stem if source.is_file() else source.name


def _unique_id(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    counter = 2
    while f"{base}-{counter}" in taken:
        counter += 1
    return f"{base}-{counter}"


def _describe(source: Path) -> tuple[ModelFormat, str | None, int, list[str]]:
    if source.is_dir():
        onnx = inspect_onnx_folder(source)
        return ModelFormat.onnx, onnx.model_type, onnx.total_size, onnx.tasks
    if source.suffix.lower() == ".onnx":
        raise InvalidModelFileError(source, "is a single ONNX file; add the folder that holds it and its config")
    info = require_model(read_gguf(source), hint="; add the model it belongs to")
    return ModelFormat.gguf, info.architecture, info.file_size, ["chat"]
