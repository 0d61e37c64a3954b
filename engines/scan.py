"""Find GGUF files and ONNX model folders under a folder and register them linked in place.

Also knows where other apps keep their models, so one shared folder of weights serves every
app without copies. The same file reached twice (a symlink, a hard link, the Hugging Face
cache's snapshot links, an earlier scan) is registered once.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CandeiaError
from .gguf_info import read_gguf
from .paths import data_dir
from .store import InstalledModel, ModelStore

_SKIP_DIRS = {".git", "__pycache__", "node_modules", "blobs", ".cache", ".Trash"}


@dataclass(frozen=True)
class KnownFolder:
    app: str
    path: Path


def known_model_folders() -> list[KnownFolder]:
    """Where LM Studio, GPT4All, Jan and the Hugging Face cache keep models on this OS (existing or not)."""
    home = Path.home()
    folders = [
        KnownFolder("LM Studio", home / ".lmstudio" / "models"),
        KnownFolder("LM Studio (before 0.3)", home / ".cache" / "lm-studio" / "models"),
        KnownFolder("Jan (before 0.5)", home / "jan" / "models"),
        KnownFolder("GPT4All (Python)", home / ".cache" / "gpt4all"),
    ]
    if sys.platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
        roaming = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        folders += [KnownFolder("GPT4All", local / "nomic.ai" / "GPT4All"),
                    KnownFolder("Jan", roaming / "Jan" / "data")]
    elif sys.platform == "darwin":
        support = home / "Library" / "Application Support"
        folders += [KnownFolder("GPT4All", support / "nomic.ai" / "GPT4All"),
                    KnownFolder("Jan", support / "Jan" / "data")]
    else:
        share = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
        config = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
        folders += [KnownFolder("GPT4All", share / "nomic.ai" / "GPT4All"),
                    KnownFolder("Jan", config / "Jan" / "data"),
                    KnownFolder("Jan", share / "Jan" / "data")]
    try:
        from huggingface_hub import constants

        folders.append(KnownFolder("Hugging Face cache", Path(constants.HF_HUB_CACHE)))
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        pass
    return folders


def existing_known_folders() -> list[KnownFolder]:
    return [f for f in known_model_folders() if f.path.is_dir()]


@dataclass(frozen=True)
class Candidate:
    path: Path  # as found (a symlink stays a symlink, for its name)
    kind: str  # "gguf" or "onnx"
    companions: dict[str, Path] = field(default_factory=dict)


@dataclass
class ScanReport:
    added: list[InstalledModel] = field(default_factory=list)
    known: list[InstalledModel] = field(default_factory=list)  # registered before this scan
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    pending: list[Candidate] = field(default_factory=list)  # a dry run's would-be additions


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()  # follows symlinks: a link and its target are one file
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _is_onnx_folder(folder: Path, files: list[str]) -> bool:
    if "config.json" not in files:
        return False
    if any(f.lower().endswith(".onnx") for f in files):
        return True
    onnx_dir = folder / "onnx"
    return onnx_dir.is_dir() and any(p.suffix.lower() == ".onnx" for p in onnx_dir.iterdir())


def find_models(root: Path, skipped: list[tuple[Path, str]] | None = None) -> list[Candidate]:
    """Walk `root` (not following folder symlinks) for model files and folders."""
    skipped = skipped if skipped is not None else []
    own_partials = data_dir() / "downloads"
    found: list[Candidate] = []
    for folder_name, dirs, files in os.walk(root, followlinks=False):
        folder = Path(folder_name)
        if folder == own_partials:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if _is_onnx_folder(folder, files):
            found.append(Candidate(folder, "onnx"))
            dirs[:] = []  # the folder is one model; its subfolders are part of it
            continue
        models: list[Path] = []
        projectors: list[Path] = []
        for name in sorted(files):
            if not name.lower().endswith(".gguf"):
                continue
            path = folder / name
            try:
                info = read_gguf(path)
            except CandeiaError as exc:
                skipped.append((path, str(exc)))
                continue
            (projectors if info.is_companion else models).append(path)
        for model in models:
            # A projector belongs to the model beside it when there is exactly one model in the folder.
            companions = {"mmproj": projectors[0]} if len(models) == 1 and len(projectors) == 1 else {}
            found.append(Candidate(model, "gguf", companions))
    return found


def _display_name(candidate: Candidate) -> str:
    parts = candidate.path.parts
    # Hugging Face cache: .../models--ORG--NAME/snapshots/<commit>/...
    for index, part in enumerate(parts):
        if part.startswith("models--") and index + 2 < len(parts) and parts[index + 1] == "snapshots":
            repo = part.removeprefix("models--").replace("--", "/")
            return repo if candidate.kind == "onnx" else candidate.path.stem
    return candidate.path.stem if candidate.kind == "gguf" else candidate.path.name


def scan(roots: list[Path], store: ModelStore | None = None, *, dry_run: bool = False) -> ScanReport:
    """Register every model under `roots`, linked in place; return what was added, known and skipped."""
    store = store or ModelStore()
    report = ScanReport()
    seen: dict[tuple[int, int], InstalledModel | None] = {}
    for model in store.installed():
        ident = _identity(Path(model.path))
        if ident is not None:
            seen[ident] = model
    for root in roots:
        root = root.expanduser()
        if not root.is_dir():
            report.skipped.append((root, "is not a folder"))
            continue
        for candidate in find_models(root, report.skipped):
            ident = _identity(candidate.path)
            if ident is None:
                report.skipped.append((candidate.path, "cannot be read"))
                continue
            if ident in seen:
                existing = seen[ident]
                if existing is not None and existing not in report.known and existing not in report.added:
                    report.known.append(existing)
                continue
            seen[ident] = None
            if dry_run:
                report.pending.append(candidate)
                continue
            try:
                model = store.add(candidate.path, name=_display_name(candidate))
                if candidate.companions:
                    model = store.update(
                        model.id, companions={k: str(v.resolve()) for k, v in candidate.companions.items()}
                    )
            except CandeiaError as exc:
                report.skipped.append((candidate.path, str(exc)))
                continue
            seen[ident] = model
            report.added.append(model)
    return report
