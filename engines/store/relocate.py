"""Move the data folder (models Candeia owns, downloads, chat history, settings) somewhere else.

Copy first, then rewrite the absolute paths that point into the old folder, then switch the
pointer, and only then delete the old copy: a crash or a cancel at any step leaves a working
data folder, never half of one. Linked models (the user's own files elsewhere) are not moved.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from engines.atomic import atomic_write_json, atomic_write_text
from engines.errors import CandeiaError
from engines.jobs import CancelToken
from engines.paths import HOME_ENV, PRIVATE_FOLDER, data_dir, location_file

CHUNK = 8 * 1024 * 1024


class RelocateError(CandeiaError, OSError):
    """The data folder could not be moved; the old one is still in use and intact."""


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _rewrite(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new + value[len(old):] if value == old or value.startswith(old + os.sep) else value
    if isinstance(value, list):
        return [_rewrite(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_rewrite(k, old, new): _rewrite(v, old, new) for k, v in value.items()}
    return value


def _rewrite_json_paths(root: Path, old: Path, new: Path) -> int:
    """Point every absolute path stored in the copied JSON files at the new folder."""
    changed = 0
    for file in root.rglob("*.json"):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        updated = _rewrite(data, str(old), str(new))
        if updated != data:
            atomic_write_json(file, updated)
            changed += 1
    return changed


def check_target(target: Path, source: Path | None = None) -> Path:
    source = (source or data_dir()).resolve()
    target = target.expanduser().resolve()
    if os.environ.get(HOME_ENV):
        raise RelocateError(f"the data folder is set by {HOME_ENV}; change that variable to use another folder")
    if target == source:
        raise RelocateError(f"{target} is already the data folder")
    if target.is_relative_to(source) or source.is_relative_to(target):
        raise RelocateError(f"{target} and the current data folder {source} must not contain each other")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RelocateError(f"{target} must be a new or empty folder")
    return target


def move_data_dir(
    target: Path,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Move the data folder to `target` (a new or empty folder). Returns the new folder."""
    steps = iter_move_data_dir(target, cancel)
    while True:
        try:
            done, total = next(steps)
        except StopIteration as finished:
            result: Path = finished.value
            return result
        if progress:
            progress(done, total)


def iter_move_data_dir(target: Path, cancel: CancelToken | None = None) -> Generator[tuple[int, int], None, Path]:
    """The move as a generator of (bytes copied, bytes in all), for workers that report progress."""
    source = data_dir().resolve()
    target = check_target(target, source)
    files = _files(source)
    total = sum(f.stat().st_size for f in files)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    free = shutil.disk_usage(target).free
    if total > free:
        _remove_copy(target, created)
        raise RelocateError(f"{target} has {free} bytes free but the data folder needs {total}")
    done = 0
    try:
        for file in files:
            dest = target / file.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with file.open("rb") as src, dest.open("wb") as out:
                while chunk := src.read(CHUNK):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    out.write(chunk)
                    done += len(chunk)
                    yield done, total
            shutil.copystat(file, dest)
        if cancel is not None:
            cancel.raise_if_cancelled()
        _rewrite_json_paths(target, source, target)
        atomic_write_text(location_file(), json.dumps({"data_dir": str(target)}) + "\n")
    except BaseException as exc:
        _remove_copy(target, created)
        if isinstance(exc, OSError):
            raise RelocateError(f"could not copy the data folder to {target}: {exc.strerror or exc}") from exc
        raise
    # The new folder is in use from here on; the old copy goes (what cannot be removed is left, harmless).
    shutil.rmtree(source, ignore_errors=True)
    return target


def _remove_copy(target: Path, created: bool) -> None:
    if created:
        shutil.rmtree(target, ignore_errors=True)
    else:
        for child in target.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
