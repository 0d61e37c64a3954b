"""Small helpers shared by test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLI_TIMEOUT_S = 120


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
