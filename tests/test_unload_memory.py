"""Unloading a model gives its memory back (llama.cpp's buffers and the mapped weights).

Measured in a fresh child process: the test process's own resident memory moves with whatever
other tests left behind (torch, Qt, threads), which swamped the signal in CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engines.testing.tiny_gguf import write_tiny_llama
from tests_support import PROJECT_ROOT

MEASURE = r"""
import gc, json, sys
from pathlib import Path
from engines.llama import LlamaEngine, LoadOptions, SamplingOptions
from engines.llama.template import Message

def resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise SystemExit("no VmRSS")

def cycle(path: str) -> tuple[int, int]:
    engine = LlamaEngine.load(Path(path), LoadOptions(context_size=1024, threads=2))
    engine.chat([Message(role="user", content="Hello")], SamplingOptions(max_tokens=8))
    loaded = resident()
    engine.close()
    del engine
    gc.collect()
    return loaded, resident()

cycle(sys.argv[1])  # warm-up: llama.cpp's backend, the template compiler and Python's caches, set up once
before = resident()
rounds = [cycle(sys.argv[1]) for _ in range(3)]
print(json.dumps({"before": before, "rounds": rounds}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_close_returns_memory(tmp_path: Path) -> None:
    model = write_tiny_llama(tmp_path / "wide.gguf", n_embd=256, n_layer=16, n_head=4, n_head_kv=4, n_ff=1024)
    size = model.stat().st_size
    assert size > 60_000_000
    child = subprocess.run(
        [sys.executable, "-c", MEASURE, str(model)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    before = measured["before"]
    for loaded, after in measured["rounds"]:
        assert loaded - before > size * 0.8, "the weights were really paged in"
        assert after - before < size * 0.1, f"{(after - before) / 1e6:.1f} MB still resident after close"
    # Three load/unload cycles do not pile up memory.
    last_after = measured["rounds"][-1][1]
    first_after = measured["rounds"][0][1]
    assert last_after - first_after < size * 0.05
