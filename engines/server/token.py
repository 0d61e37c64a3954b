"""The server's bearer token: random, made once, kept 0600 in the data folder, shown to the user."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from engines.atomic import atomic_write_text
from engines.paths import PRIVATE_FILE, data_dir

TOKEN_FILE = "server-token"
TOKEN_BYTES = 32  # 256 bits: guessing is hopeless even at line rate on a LAN


def token_path() -> Path:
    return data_dir() / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> str:
    """The stored token, or a new one written 0600 (atomic_write_text creates files 0600)."""
    path = path or token_path()
    try:
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 32:
            if os.name == "posix" and path.stat().st_mode & 0o077:
                path.chmod(PRIVATE_FILE)
            return token
    except OSError:
        pass
    return new_token(path)


def new_token(path: Path | None = None) -> str:
    """A fresh token (the old one stops working at the next server start)."""
    token = "cdk-" + secrets.token_urlsafe(TOKEN_BYTES)
    atomic_write_text(path or token_path(), token + "\n")
    return token
