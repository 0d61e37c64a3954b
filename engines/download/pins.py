"""Hashes learnt on first download, for catalog files whose card says sha256 = "unknown".

The first download records what arrived (keyed by repository, revision and path); every later
download of that file must match it, so a hub that starts serving other bytes is caught even
where no public record gave the hash in advance.
"""

from __future__ import annotations

import json
from pathlib import Path

from engines.atomic import atomic_write_json
from engines.paths import data_dir

PINS_FILE = "learnt-pins.json"


def _path() -> Path:
    return data_dir() / PINS_FILE


def _key(repo: str, revision: str | None, path: str) -> str:
    return f"{repo}@{revision or 'main'}/{path}"


def _load() -> dict[str, str]:
    try:
        raw = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}


def learnt_sha256(repo: str, revision: str | None, path: str) -> str | None:
    return _load().get(_key(repo, revision, path))


def learn_sha256(repo: str, revision: str | None, hashes: dict[str, str]) -> None:
    pins = _load()
    for path, digest in hashes.items():
        pins.setdefault(_key(repo, revision, path), digest)  # never overwrite: the first one is the pin
    _path().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(_path(), pins)
