"""Files Candeia derives from model files (cut decoder graphs, copies with external weights).

Model files are never modified (their sha256 is checked), so derived files live in the cache folder,
one entry per source version: `<cache root>/<key>/`, where the key hashes the format version and
the source's resolved path, size and mtime. A changed source thus gets a new entry; making it
deletes the stale one (and entries whose source is gone). Each entry is built in a temporary folder
and renamed into place (a crash leaves no half entry); its `source.json` names the source, which is
how removing a model from the store finds and deletes what was derived from it (`remove_derived`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from engines.atomic import atomic_write_json
from engines.onnx.data_files import existing_data_files

log = logging.getLogger(__name__)

SOURCE_FILE = "source.json"
SPACE_MARGIN = 64 << 20  # leave the disk this much besides the entry itself
ABANDONED_WORK_S = 6 * 3600  # a build folder this old belongs to a process that died


def entry_key(source: Path, version: str) -> str:
    stat = source.stat()
    raw = f"{version}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _complete(entry: Path, expect: Sequence[str], expect_weights: Sequence[str] = ()) -> bool:
    return all((entry / name).is_file() for name in expect) and all(
        existing_data_files(entry / name) for name in expect_weights)


def _source_of(entry: Path) -> Path | None:
    try:
        value = json.loads((entry / SOURCE_FILE).read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(value) if isinstance(value, str) else None


def _drop_stale(root: Path, source: Path, keep: str) -> None:
    """Entries made from an older version of `source`, or from files that are gone (a model deleted or
    moved outside Candeia), and work folders of builds that never finished."""
    for entry in root.iterdir():
        if entry.name.startswith(".work-") and entry.is_dir():
            with contextlib.suppress(OSError):  # left by a build the app was killed in; a live one is younger
                if time.time() - entry.stat().st_mtime > ABANDONED_WORK_S:
                    shutil.rmtree(entry, ignore_errors=True)
            continue
        if entry.name == keep or not entry.is_dir() or entry.name.startswith("."):
            continue
        made_from = _source_of(entry)
        if made_from is not None and (made_from == source or not made_from.exists()):
            shutil.rmtree(entry, ignore_errors=True)


def derived_entry(source: Path, root: Path, version: str, build: Callable[[Path], bool], *,
                  expect: Sequence[str], expect_weights: Sequence[str] = (), needs_bytes: int = 0) -> Path | None:
    """The entry folder derived from `source` under `root`, built by `build(folder)` on first use.

    `expect`: the file names a complete entry holds; `expect_weights`: graphs among them whose data file
    (data_files.py, either naming: entries made before keep serving) it holds too. `build` returns
    False when there is nothing to derive. None when it returned False, failed, or the disk lacks
    `needs_bytes` (plus a margin); the caller then uses the source as it is. Failures are logged,
    never raised.
    """
    resolved = source.resolve()
    try:
        key = entry_key(resolved, version)
        entry = root / key
        if _complete(entry, expect, expect_weights):
            if not (entry / SOURCE_FILE).is_file():  # made before entries named their source
                atomic_write_json(entry / SOURCE_FILE, {"source": str(resolved)}, durable=False)
            return entry
        if entry.exists():  # left incomplete by something older than this module
            shutil.rmtree(entry)
        root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(root).free
        if free < needs_bytes + SPACE_MARGIN:
            log.warning("not enough free disk space for a derived copy of %s (%d MB needed, %d MB free) in %s; "
                        "using it as it is", source.name, (needs_bytes + SPACE_MARGIN) >> 20, free >> 20, root)
            return None
    except OSError as exc:
        log.warning("cannot prepare the derived copy of %s (%s); using it as it is", source.name, exc)
        return None
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=root))
    try:
        if not build(work):
            return None
        atomic_write_json(work / SOURCE_FILE, {"source": str(resolved), "version": version}, durable=False)
        try:
            os.replace(work, entry)
        except OSError:  # another process made it first
            if not _complete(entry, expect, expect_weights):
                raise
        _drop_stale(root, resolved, key)
        return entry
    except Exception as exc:  # a disk error or a graph the builder does not understand
        log.warning("could not write the derived copy of %s (%s); using it as it is", source.name, exc)
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remove_derived(model_path: Path, cache_root: Path) -> int:
    """Delete every entry (in any kind of cache under `cache_root`) derived from files in `model_path`."""
    target = model_path.resolve()
    removed = 0
    if not cache_root.is_dir():
        return 0
    for marker in cache_root.glob(f"*/*/{SOURCE_FILE}"):
        source = _source_of(marker.parent)
        if source is not None and (source == target or source.is_relative_to(target)):
            shutil.rmtree(marker.parent, ignore_errors=True)
            removed += 1
    return removed
