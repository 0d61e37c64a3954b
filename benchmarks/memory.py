"""Memory around a model's life, and the time to switch models.

    python -m benchmarks.memory --model path/to/model.gguf [--threads 2] [--rounds 3]

Runs in a fresh child process so nothing else in the process moves its resident memory:
- loaded: resident memory of the app and the model's engine host with the model loaded and a short
  reply generated;
- unload recovery: resident memory after closing it, against before loading. Importing
  llama-cpp-python and llama.cpp's one-time backend set-up (done by loading and closing a tiny
  model first) stay in the process: code and set-up, not the model; both are reported, and the
  model's first cycle and its later cycles are reported apart;
- model switch: closing one model and loading another (a copy of the same GGUF, so both files are
  distinct and memory-mapped), median of the rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .report import existing_file, load_average, publish

ROOT = Path(__file__).resolve().parents[1]


def resident(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def running(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def child(model: Path, copy: Path, threads: int, rounds: int) -> dict[str, Any]:
    from engines.gguf.info import read_gguf
    from engines.host.chat import HostedChatEngine
    from engines.llama import LoadOptions, SamplingOptions
    from engines.llama.template import Message

    options = LoadOptions(context_size=2048, threads=threads)
    hello = [Message(role="user", content="Hello")]
    reply = SamplingOptions(max_tokens=16, seed=1)

    def load(path: Path) -> HostedChatEngine:
        engine = HostedChatEngine(read_gguf(path), options, probe=False)
        engine.chat(hello, reply)  # the weights really paged in, the compute buffers used
        return engine

    bare = resident()
    imported = resident()  # the app never imports llama.cpp: every model lives in an engine host
    # llama.cpp sets up its CPU backend on the first model load in a process and keeps it (3.6 MB
    # here, for raw llama-cpp-python too): a tiny model loaded and closed first takes that step,
    # so the cycles below measure what the real model leaves behind.
    with tempfile.TemporaryDirectory(prefix="candeia-mem-tiny-") as tmp:
        from engines.testing import write_tiny_llama

        load(write_tiny_llama(Path(tmp) / "tiny.gguf")).close()
    gc.collect()
    set_up = resident()
    cycles = []
    for _ in range(rounds + 1):
        before = resident()
        engine = load(model)
        loaded = resident() + resident(engine.pid)  # the app and the model's engine host together
        host = engine.pid
        engine.close()
        del engine
        gc.collect()
        assert not running(host), "unloading ends the engine host"
        cycles.append({"before": before, "loaded": loaded, "after": resident()})
    switches = []
    engine = load(model)
    for i in range(rounds):
        started = time.perf_counter()
        engine.close()
        engine = HostedChatEngine(read_gguf(copy if i % 2 == 0 else model), options, probe=False)
        switches.append((time.perf_counter() - started) * 1000)
        engine.chat(hello, reply)
    engine.close()
    return {"bare": bare, "imported": imported, "set_up": set_up, "cycles": cycles, "switch_ms": switches,
            "model_bytes": model.stat().st_size}


def run(model: Path, threads: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="candeia-mem-") as tmp:
        copy = Path(tmp) / model.name
        shutil.copyfile(model, copy)
        out = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", "--model", str(model),
                              "--copy", str(copy), "--threads", str(threads), "--rounds", str(rounds)],
                             cwd=ROOT, capture_output=True, text=True, timeout=600, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def rows(result: dict[str, Any]) -> list[list[Any]]:
    mb = 2**20
    first, *steady = result["cycles"]

    def residual(cycle: dict[str, int]) -> str:
        extra = cycle["after"] - cycle["before"]
        return f"{extra / mb:+.1f} MB ({extra / cycle['before'] * 100:+.1f} %)"

    worst = max(steady, key=lambda c: c["after"] - c["before"])
    library = (result["imported"] - result["bare"]) / mb
    set_up = (result["set_up"] - result["imported"]) / mb
    return [
        ["resident memory with the model loaded (MB)", f"{statistics.median(c['loaded'] for c in steady) / mb:.0f}",
         f"model file {result['model_bytes'] / mb:.0f} MB"],
        ["after unload vs before load, first load", residual(first),
         f"within 5 % (importing llama-cpp-python before it: +{library:.0f} MB; llama.cpp's one-time set-up, "
         f"a tiny model loaded and closed first: +{set_up:.1f} MB; both kept)"],
        ["after unload vs before load, later loads (worst)", residual(worst), "within 5 %"],
        ["model switch: unload + load (ms), median", f"{statistics.median(result['switch_ms']):.0f}", "< 1000 ms"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=existing_file)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copy", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.model, args.copy, args.threads, args.rounds)))
        return 0
    before = load_average()
    result = run(args.model, args.threads, args.rounds)
    result["load_average"] = before
    return publish("memory", f"model: {args.model.name}, load average {before}",
                   ["memory and switching", "measured", "target"], rows(result), result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
