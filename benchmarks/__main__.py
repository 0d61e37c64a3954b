"""Run Candeia's performance benchmarks and print one Markdown table.

    python -m benchmarks --model path/to/model.gguf [--llama-bench path/to/llama-bench] [--threads 2]
                         [--rounds 9] [--repetitions 3] [--only generation,memory,startup,ui]
                         [--with download,translate,caption]

Each part runs in its own process (memory and start-up numbers must not see the others' state):
generation (pp512, tg128, time to first token, load) against raw llama-cpp-python and, when given,
llama-bench; memory (loaded, unload recovery, model switch); start-up (cold start to a painted
window, idle memory, deferred heavy imports); UI-thread stalls while a model loads, a reply streams
and a download runs. `--with` adds the download, translation and captioning benchmarks (slow;
translation and captioning need the bench extras), whose own tables are printed after the main one.
Writes bench-results/summary.json with the machine's description and every part's full result.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import generation, memory, startup, ui_responsiveness
from .report import RESULTS_DIR, existing_file, load_average, machine, markdown_table, write_json

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("generation", "memory", "startup", "ui")
EXTRAS = {
    "download": [sys.executable, "benchmarks/download.py", "--size-mb", "512"],
    "translate": [sys.executable, "benchmarks/translate.py"],
    "caption": [sys.executable, "-m", "benchmarks.caption"],
}


def _part(module: str, args: list[str], json_path: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", f"benchmarks.{module}", *args, "--json", str(json_path)]
    print(f"$ {' '.join(command[1:])}", flush=True)
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmarks: {module} failed (exit {done.returncode}); see its output above")
    result: dict[str, Any] = json.loads(json_path.read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=existing_file,
                        help="the GGUF to measure (gemma-3-270m Q4_K_M here)")
    parser.add_argument("--llama-bench", type=existing_file,
                        help="llama.cpp's llama-bench, built from the same llama.cpp")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved generation rounds")
    parser.add_argument("--repetitions", type=int, default=3, help="measurements of each generation test per load")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--with", dest="extras", default="", help=f"also run: {','.join(EXTRAS)}")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repetitions < 1:
        parser.error("--rounds and --repetitions must be at least 1")
    parts = [p for p in args.only.split(",") if p]
    extras = [e for e in args.extras.split(",") if e]
    unknown = [p for p in parts if p not in PARTS] + [e for e in extras if e not in EXTRAS]
    if unknown or not parts + extras:
        parser.error(f"unknown part(s): {', '.join(unknown)}" if unknown else "nothing to run")
    model, threads = str(args.model.resolve()), str(args.threads)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load_before = load_average()
    results: dict[str, Any] = {}
    table: list[list[Any]] = []
    if "generation" in parts:
        extra = ["--llama-bench", str(args.llama_bench)] if args.llama_bench else []
        results["generation"] = _part("generation", ["--model", model, "--threads", threads, "--rounds",
                                                     str(args.rounds), "--repetitions", str(args.repetitions),
                                                     *extra], RESULTS_DIR / "generation.json")
        for row in generation.rows(results["generation"]):
            table.append([row[0], row[1], f"raw llama-cpp-python {row[2]}; llama-bench {row[3]}; ratio {row[4]}",
                          row[5]])
    if "memory" in parts:
        results["memory"] = _part("memory", ["--model", model, "--threads", threads], RESULTS_DIR / "memory.json")
        table += [[r[0], r[1], "", r[2]] for r in memory.rows(results["memory"])]
    if "startup" in parts:
        results["startup"] = _part("startup", [], RESULTS_DIR / "startup.json")
        table += [[r[0], r[1], "", r[2]] for r in startup.rows(results["startup"]["results"])]
    if "ui" in parts:
        results["ui"] = _part("ui_responsiveness", ["--model", model, "--threads", threads],
                              RESULTS_DIR / "ui_responsiveness.json")
        table += [[r[0], r[1], "", r[2]] for r in ui_responsiveness.rows(results["ui"])]
    extras_out: dict[str, str] = {}
    for name in extras:
        print(f"$ {' '.join(EXTRAS[name][1:])}", flush=True)
        done = subprocess.run(EXTRAS[name], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              capture_output=True, text=True, check=False)
        extras_out[name] = done.stdout if done.returncode == 0 else f"failed ({done.returncode}): {done.stderr[-400:]}"
    load_after = load_average()
    info = machine()
    print()
    print(f"Candeia benchmarks on {info['cpu']} ({info['logical_cores']} logical cores, "
          f"{(info['memory_bytes'] or 0) / 2**30:.0f} GiB), Python {info['python']}, model {args.model.name}, "
          f"{args.threads} threads; load average {load_before} -> {load_after}")
    print()
    print(markdown_table(["measure", "Candeia", "compared with", "target"], table))
    for name, text in extras_out.items():
        print(f"\n### {name}\n\n{text}")
    path = write_json("summary", {"model": model, "threads": args.threads, "started": started,
                                  "load_average": {"before": load_before, "after": load_after},
                                  "results": results, "extras": extras_out})
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
