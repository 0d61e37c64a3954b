"""API keys of remote endpoints: in the OS keyring when a usable one exists, else a 0600 file.

The file (`remote-keys.json` in the data folder) is written atomically through mkstemp, so it is
never readable by other users, even for a moment. A key given by environment variable name is never
stored: it is read from the environment each time it is needed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from engines.atomic import atomic_write_json
from engines.paths import data_dir

log = logging.getLogger(__name__)
SERVICE = "candeia-remote"


def _keyring() -> Any | None:
    """The keyring module when its backend can really store secrets, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration: fall back to the file
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def _file() -> Path:
    return data_dir() / "remote-keys.json"


def _read_file() -> dict[str, str]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_key(name: str, key: str) -> str:
    """Store `key` for endpoint `name`; returns where it went ("keyring" or "file")."""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(SERVICE, name, key)
            return "keyring"
        except Exception as exc:  # a locked or refusing keyring: the file still keeps it private
            log.warning("the keyring refused the key of %s (%s); keeping it in a private file", name, exc)
    keys = _read_file()
    keys[name] = key
    atomic_write_json(_file(), keys)
    os.chmod(_file(), 0o600)
    return "file"


def load_key(name: str) -> str | None:
    ring = _keyring()
    if ring is not None:
        try:
            found = ring.get_password(SERVICE, name)
        except Exception:
            found = None
        if found:
            return str(found)
    return _read_file().get(name)


def delete_key(name: str) -> None:
    ring = _keyring()
    if ring is not None:
        with contextlib.suppress(Exception):  # not there: nothing to delete
            ring.delete_password(SERVICE, name)
    keys = _read_file()
    if keys.pop(name, None) is not None:
        atomic_write_json(_file(), keys)
