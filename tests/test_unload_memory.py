"""Unloading a model gives its memory back (llama.cpp's buffers and the mapped weights)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from engines.llama import LlamaEngine, LoadOptions, SamplingOptions
from engines.llama.template import Message
from tiny_gguf import write_tiny_llama


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_close_returns_memory(tmp_path: Path, tiny_gguf: Path) -> None:
    model = write_tiny_llama(tmp_path / "wide.gguf", n_embd=256, n_layer=16, n_head=4, n_head_kv=4, n_ff=1024)
    size = model.stat().st_size
    assert size > 60_000_000
    # The first load in a process sets up llama.cpp's backend once; that is not per-model memory.
    LlamaEngine.load(tiny_gguf, LoadOptions(context_size=256, threads=2)).close()
    gc.collect()
    before = resident_bytes()
    engine = LlamaEngine.load(model, LoadOptions(context_size=1024, threads=2))
    engine.chat([Message(role="user", content="Hello")], SamplingOptions(max_tokens=8))
    loaded = resident_bytes()
    assert loaded - before > size * 0.8, "the weights were really paged in"
    engine.close()
    gc.collect()
    after = resident_bytes()
    assert after - before < size * 0.1, f"{(after - before) / 1e6:.1f} MB still resident after close"
