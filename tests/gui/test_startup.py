"""The GUI starts without importing the heavy engines, and the start-up probe reports its first paint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests_support import PROJECT_ROOT


def test_start_paints_without_importing_llama_cpp_or_onnxruntime(tmp_path: Path) -> None:
    env = dict(os.environ, CANDEIA_HOME=str(tmp_path / "home"), CANDEIA_STARTUP_PROBE="0.2",
               QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(PROJECT_ROOT))
    child = subprocess.run([sys.executable, "-m", "desktop.app"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=90, check=False)
    assert child.returncode == 0, child.stderr[-2000:]
    events = {e["event"]: e for e in (json.loads(line) for line in child.stdout.splitlines() if line.startswith("{"))}
    assert set(events) == {"painted", "idle"}
    assert events["idle"]["heavy_modules"] == []
    assert events["idle"]["rss_bytes"] > 0
