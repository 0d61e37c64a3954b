"""Model weights in transparent huge pages (Linux): when it applies, and a real load that uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engines.llama import LlamaEngine, SamplingOptions, TextDelta, hugepages
from engines.llama.template import Message
from engines.testing.tiny_gguf import write_tiny_llama

GREEDY = SamplingOptions(temperature=0.0, max_tokens=16)
HELLO = [Message(role="user", content="Hello, how are you?")]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="huge page advice is Linux only")


def test_thp_mode_reads_the_bracketed_setting(tmp_path: Path) -> None:
    setting = tmp_path / "enabled"
    setting.write_text("always [madvise] never\n")
    assert hugepages.thp_mode(setting) == "madvise"
    setting.write_text("[always] madvise never\n")
    assert hugepages.thp_mode(setting) == "always"
    setting.write_text("garbage\n")
    assert hugepages.thp_mode(setting) is None
    assert hugepages.thp_mode(tmp_path / "missing") is None


def test_anonymous_regions_skips_files_and_read_only_maps(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.write_text(
        "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
        "7f0000400000-7f0000800000 r--s 00000000 fd:01 123 /models/m.gguf\n"
        "7f0000800000-7f0000c00000 rw-p 00000000 fd:01 124 /usr/lib/libx.so\n"
        "7f0000c00000-7f0001000000 r--p 00000000 00:00 0 \n"
        "55d000000000-55d000100000 rw-p 00000000 00:00 0 [heap]\n"
    )
    assert hugepages.anonymous_regions(maps) == {(0x7F0000000000, 0x7F0000400000)}


def test_malloc_arenas_are_not_model_buffers() -> None:
    arena = 0x7F00_0400_0000  # 64 MiB-aligned
    assert hugepages.is_malloc_arena(arena, arena + (62 << 20))
    assert not hugepages.is_malloc_arena(arena, arena + (240 << 20)), "bigger than any arena"
    assert not hugepages.is_malloc_arena(arena + (2 << 20), arena + (50 << 20))


@linux_only
def test_wanted_only_for_cpu_models_with_room_to_spare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(hugepages.ENV, raising=False)
    monkeypatch.setattr(hugepages, "thp_mode", lambda: "madvise")
    monkeypatch.setattr("engines.system.memory.memory", lambda: (16 << 30, 8 << 30))
    assert hugepages.wanted(1 << 30, gpu_layers=0)
    assert not hugepages.wanted(1 << 30, gpu_layers=10), "offloaded weights are not in CPU memory"
    assert not hugepages.wanted(5 << 30, gpu_layers=0), "a file near the available memory stays mapped"
    monkeypatch.setattr("engines.system.memory.memory", lambda: (None, None))
    assert not hugepages.wanted(1 << 20, gpu_layers=0)
    monkeypatch.setattr("engines.system.memory.memory", lambda: (16 << 30, 8 << 30))
    monkeypatch.setattr(hugepages, "thp_mode", lambda: "never")
    assert not hugepages.wanted(1 << 20, gpu_layers=0)
    monkeypatch.setattr(hugepages, "thp_mode", lambda: "always")
    monkeypatch.setenv(hugepages.ENV, "0")
    assert not hugepages.wanted(1 << 20, gpu_layers=0)


def test_install_refuses_a_binding_without_the_load_function() -> None:
    import types

    assert not hugepages.install(types.ModuleType("llama_cpp"))


def test_wanted_is_false_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert not hugepages.wanted(1 << 20, gpu_layers=0)


def _reply(engine: LlamaEngine) -> str:
    return "".join(e.text for e in engine.stream_chat(HELLO, GREEDY) if isinstance(e, TextDelta))


def _advised_flags(start: int, end: int) -> set[str]:
    """VmFlags of the mappings inside [start, end): "hg" marks MADV_HUGEPAGE."""
    flags: set[str] = set()
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo >= start and hi <= end
        elif inside and head == "VmFlags:":
            flags.update(line.split()[1:])
    return flags


CHILD = """
import json, os, sys
from pathlib import Path
sys.path[:0] = [sys.argv[2]]
from engines.llama import LlamaEngine, LoadOptions, hugepages
from test_hugepages import _advised_flags, _reply

model, options = Path(sys.argv[1]), LoadOptions(context_size=256, threads=2)
os.environ[hugepages.ENV] = "0"
with LlamaEngine.load(model, options) as mapped:
    out = {"mapped_bytes": mapped.huge_page_bytes, "expected": _reply(mapped)}
os.environ[hugepages.ENV] = "1"
with LlamaEngine.load(model, options) as engine:
    out.update(bytes=engine.huge_page_bytes, regions=len(engine.huge_page_regions),
               flagged=all("hg" in _advised_flags(lo, hi) for lo, hi in engine.huge_page_regions),
               arenas=any(hugepages.is_malloc_arena(lo, hi) for lo, hi in engine.huge_page_regions),
               reply=_reply(engine))
print(json.dumps(out))
"""


@linux_only
@pytest.mark.timeout(120)
def test_a_cpu_load_advises_its_weights_and_decodes_the_same(tmp_path: Path) -> None:
    """In a fresh process: where a long test process's allocator already holds (other tests' libraries
    may raise glibc's mmap threshold) decides whether a buffer is a new mapping at all."""
    if hugepages.thp_mode() not in ("madvise", "always"):
        pytest.skip("transparent huge pages are off on this machine")
    # about 40 MB of f32 weights: above MIN_REGION, so llama.cpp's weight buffer is advised
    model = write_tiny_llama(tmp_path / "wide.gguf", n_embd=512, n_ff=2048, n_layer=2, n_head=8, n_head_kv=4)
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "tests")]))
    done = subprocess.run(["timeout", "100", sys.executable, "-c", CHILD, str(model), str(root / "tests")],
                          capture_output=True, text=True, env=env, timeout=110, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["mapped_bytes"] == 0
    assert out["bytes"] >= hugepages.MIN_REGION // 2
    assert out["regions"] and out["flagged"]
    assert not out["arenas"]
    assert out["reply"] == out["expected"], "the same weights, the same greedy reply"
    assert out["expected"].strip()
