"""Small helpers shared by test modules."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engines.cards import ModelCard

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT_S = 120
REAL_SHA = "74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db"  # qwen2.5-0.5b q4_k_m's
REAL_COMMIT = "9217f5db79a29953eb74d5343926648285ec7e67"


def run_cli(*args: str, stdin: str | None = None, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run `candeia-cli` in a child process (the environment, CANDEIA_HOME included, is inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "engines.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def pinned_card(card_id: str, repo: str, files: dict[str, bytes], *, revision: str = "main",
                tasks: tuple[str, ...] = ("chat",), commercial_use: str = "yes", gated: bool = False) -> ModelCard:
    """A catalog card pinned to the given bytes (size and sha256), as a maintainer would write it."""
    from engines.cards import CardFile, Licence, ModelCard, Source

    return ModelCard(
        id=card_id, name=f"Card {card_id}", tasks=list(tasks), engine="llama.cpp",  # type: ignore[arg-type]
        licence=Licence(id="Test licence", commercial_use=commercial_use, gated=gated,  # type: ignore[arg-type]
                        url="https://example.org/terms"),
        source=Source(repo=repo, revision=revision, files=[
            CardFile(path=path, size=max(1, len(data)), sha256=hashlib.sha256(data).hexdigest())
            for path, data in files.items()]),
    )


def repin_card_file(text: str, *, size: int, sha256: str, revision: str) -> str:
    """A shipped card's TOML re-pinned to other bytes (one-file cards): for fake-hub tests."""
    text = re.sub(r'^revision = ".*"$', f'revision = "{revision}"', text, flags=re.M)
    text = re.sub(r"^size = [0-9_]+$", f"size = {size}", text, flags=re.M)
    return re.sub(r'^sha256 = ".*"$', f'sha256 = "{sha256}"', text, flags=re.M)


def card_toml_head(card_id: str, name: str, repo: str, note: str = "") -> str:
    """A card's TOML as a maintainer writes it up to its files: a chat model on llama.cpp, Apache-2.0, from
    `repo` at REAL_COMMIT; `note`: a comment line above the source table."""
    return f"""id = "{card_id}"
name = "{name}"
tasks = ["chat"]
engine = "llama.cpp"

[licence]
id = "Apache-2.0"
commercial_use = "yes"
url = "https://www.apache.org/licenses/LICENSE-2.0"
{note}
[source]
repo = "{repo}"
revision = "{REAL_COMMIT}"
"""
