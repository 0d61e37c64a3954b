"""Find GGUF files and ONNX model folders under a folder and register them linked in place.

Also knows where other apps keep their models, so one shared folder of weights serves every
app without copies. The same file reached twice (a symlink, a hard link, the Hugging Face
cache's snapshot links, an earlier scan) is registered once. Ollama keeps its GGUF files as
content-addressed blobs named by manifests; those are read to find each model, its projector
and its name (`ollama:llama3.2:3b`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

from engines.errors import CandeiaError
from engines.gguf.info import read_gguf
from engines.paths import data_dir
from engines.store.model_store import InstalledModel, ModelStore

_SKIP_DIRS = {".git", "__pycache__", "node_modules", "blobs", ".cache", ".Trash"}


OLLAMA_MODEL = "application/vnd.ollama.image.model"
OLLAMA_PROJECTOR = "application/vnd.ollama.image.projector"
OLLAMA_REGISTRY = "registry.ollama.ai"


@dataclass(frozen=True)
class KnownFolder:
    app: str
    path: Path


def known_model_folders(platform: str | None = None, home: PurePath | None = None,
                        env: Mapping[str, str] | None = None) -> list[KnownFolder]:
    """Where LM Studio, GPT4All, Jan, Ollama and the Hugging Face cache keep models (existing or not).

    `platform`, `home` and `env` default to this computer's; tests pass others to check the
    Windows and macOS paths anywhere.
    """
    platform = platform or sys.platform
    env = os.environ if env is None else env
    kind: type[PurePath] = PureWindowsPath if platform == "win32" else PurePosixPath
    home = kind(home) if home is not None else kind(Path.home())

    def at(value: str | None, default: PurePath) -> PurePath:
        return kind(value) if value else default

    folders: list[tuple[str, PurePath]] = [
        ("LM Studio", home / ".lmstudio" / "models"),
        ("LM Studio (before 0.3)", home / ".cache" / "lm-studio" / "models"),
        ("Jan (before 0.5)", home / "jan" / "models"),
        ("GPT4All (Python)", home / ".cache" / "gpt4all"),
        # Ollama: OLLAMA_MODELS moves it; the Linux service install keeps it under its own user.
        ("Ollama", at(env.get("OLLAMA_MODELS"), home / ".ollama" / "models")),
    ]
    if platform == "win32":
        local = at(env.get("LOCALAPPDATA"), home / "AppData" / "Local")
        roaming = at(env.get("APPDATA"), home / "AppData" / "Roaming")
        folders += [("GPT4All", local / "nomic.ai" / "GPT4All"),
                    ("Jan", roaming / "Jan" / "data")]
    elif platform == "darwin":
        support = home / "Library" / "Application Support"
        folders += [("GPT4All", support / "nomic.ai" / "GPT4All"),
                    ("Jan", support / "Jan" / "data")]
    else:
        share = at(env.get("XDG_DATA_HOME"), home / ".local" / "share")
        config = at(env.get("XDG_CONFIG_HOME"), home / ".config")
        folders += [("GPT4All", share / "nomic.ai" / "GPT4All"),
                    ("Jan", config / "Jan" / "data"),
                    ("Jan", share / "Jan" / "data"),
                    ("Ollama (system service)", PurePosixPath("/usr/share/ollama/.ollama/models"))]
    cache = at(env.get("XDG_CACHE_HOME") if platform != "win32" else None, home / ".cache")
    hf_home = env.get("HF_HUB_CACHE") or (str(kind(env["HF_HOME"]) / "hub") if env.get("HF_HOME") else None)
    folders.append(("Hugging Face cache", at(hf_home, cache / "huggingface" / "hub")))
    return [KnownFolder(app, Path(str(path))) for app, path in folders]


def existing_known_folders() -> list[KnownFolder]:
    seen: set[Path] = set()
    found: list[KnownFolder] = []
    for folder in known_model_folders():
        if folder.path not in seen and folder.path.is_dir():
            seen.add(folder.path)
            found.append(folder)
    return found


@dataclass(frozen=True)
class Candidate:
    path: Path  # as found (a symlink stays a symlink, for its name)
    kind: str  # "gguf" or "onnx"
    companions: dict[str, Path] = field(default_factory=dict)
    name: str | None = None  # a name the source gives it (Ollama's model:tag)


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
    if "model_index.json" in files and (folder / "unet" / "model.onnx").is_file():
        return True  # an ONNX Stable Diffusion folder: one model, though each part has a config.json of its own
    if "config.json" not in files:
        return False
    if any(f.lower().endswith(".onnx") for f in files):
        return True
    onnx_dir = folder / "onnx"
    return onnx_dir.is_dir() and any(p.suffix.lower() == ".onnx" for p in onnx_dir.iterdir())


def ollama_name(manifest: Path, manifests: Path) -> str:
    """`manifests/registry.ollama.ai/library/llama3.2/3b` -> `ollama:llama3.2:3b`; other namespaces
    and registries stay in the name (`ollama:jane/tiny:latest`, `ollama:hf.co/org/repo:Q4_K_M`)."""
    parts = manifest.relative_to(manifests).parts
    registry, *repo, tag = parts
    if registry == OLLAMA_REGISTRY and len(repo) == 2 and repo[0] == "library":
        repo = repo[1:]
    prefix = "" if registry == OLLAMA_REGISTRY else f"{registry}/"
    return f"ollama:{prefix}{'/'.join(repo)}:{tag}"


def _ollama_blob(blobs: Path, digest: str) -> Path | None:
    algorithm, _, value = digest.partition(":")
    if not value or not value.isalnum():
        return None
    for name in (f"{algorithm}-{value}", f"{algorithm}:{value}"):  # newer Ollama, then older (not on Windows)
        if (blobs / name).is_file():
            return blobs / name
    return None


def find_ollama_models(root: Path, skipped: list[tuple[Path, str]] | None = None) -> list[Candidate]:
    """Models in an Ollama store (`root` holds `manifests/` and `blobs/`), named by their manifests."""
    skipped = skipped if skipped is not None else []
    manifests, blobs = root / "manifests", root / "blobs"
    if not (manifests.is_dir() and blobs.is_dir()):
        return []
    found: list[Candidate] = []
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        try:
            layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
        except (OSError, ValueError, AttributeError):
            skipped.append((manifest, "is not an Ollama manifest"))
            continue
        if not isinstance(layers, list):
            skipped.append((manifest, "is not an Ollama manifest"))
            continue
        by_type: dict[str, Path] = {}
        for layer in layers:
            if isinstance(layer, dict) and layer.get("mediaType") in (OLLAMA_MODEL, OLLAMA_PROJECTOR):
                blob = _ollama_blob(blobs, str(layer.get("digest", "")))
                if blob is not None:
                    by_type.setdefault(str(layer["mediaType"]), blob)
        model = by_type.get(OLLAMA_MODEL)
        if model is None:
            skipped.append((manifest, "names no model blob that is on disk"))
            continue
        companions = {"mmproj": by_type[OLLAMA_PROJECTOR]} if OLLAMA_PROJECTOR in by_type else {}
        found.append(Candidate(model, "gguf", companions, name=ollama_name(manifest, manifests)))
    return found


def find_models(root: Path, skipped: list[tuple[Path, str]] | None = None) -> list[Candidate]:
    """Walk `root` (not following folder symlinks) for model files and folders, and Ollama stores."""
    skipped = skipped if skipped is not None else []
    own_partials = data_dir() / "downloads"
    found: list[Candidate] = []
    for folder_name, dirs, files in os.walk(root, followlinks=False):
        folder = Path(folder_name)
        if folder == own_partials:
            dirs[:] = []
            continue
        if "manifests" in dirs and "blobs" in dirs:
            found += find_ollama_models(folder, skipped)
            dirs[:] = []  # the blobs are only models through their manifests
            continue
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and (not d.startswith(".") or d == ".ollama"))
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
    if candidate.name:
        return candidate.name
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
