"""The local Hugging Face-compatible hub (tests/fake_hub.py) that download benchmarks fetch from."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30


def start_hub(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """Serve `folder` on loopback; returns the process and its URL."""
    hub = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_hub.py"), str(folder)],
                           stdout=subprocess.PIPE, text=True)
    assert hub.stdout is not None
    watchdog = threading.Timer(START_TIMEOUT_S, hub.kill)  # a hub that never prints its URL must not hang us
    watchdog.start()
    try:
        url = hub.stdout.readline().strip()
    finally:
        watchdog.cancel()
    if not url.startswith("http://127.0.0.1:"):
        hub.kill()
        raise SystemExit("the local hub did not start")
    return hub, url
