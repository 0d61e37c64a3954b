"""Cold start of the GUI to a painted main window, and its idle memory without a model.

    python -m benchmarks.startup [--runs 5] [--root PATH]

Each run starts `python -m desktop.app` in a fresh process with an empty data folder and
CANDEIA_STARTUP_PROBE set (see desktop/startup_probe.py); the time is from just before the process
is spawned to the moment the window's first paint has been handled, as the parent sees it. Idle
memory is the resident set one second later, and the run checks that neither llama_cpp nor
onnxruntime was imported. Qt's offscreen platform is used where there is no display.
`--root` runs another checkout's code (to measure a before/after pair in one go).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .report import load_average, publish

ROOT = Path(__file__).resolve().parents[1]
IDLE_S = 1.0


def one_start(root: Path, home: Path) -> dict[str, Any]:
    env = dict(os.environ, CANDEIA_HOME=str(home), CANDEIA_STARTUP_PROBE=str(IDLE_S), PYTHONPATH=str(root),
               CANDEIA_OFFLINE="1")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "desktop.app"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    events: dict[str, dict[str, Any]] = {}
    try:
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            event["seen_after_s"] = time.perf_counter() - started
            events[event["event"]] = event
            if event["event"] == "idle":
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if "painted" not in events or "idle" not in events:
        raise RuntimeError(f"the app exited ({proc.returncode}) without reporting its first paint")
    return {
        "paint_s": events["painted"]["seen_after_s"],
        "idle_rss_mb": events["idle"]["rss_bytes"] / 2**20,
        "heavy_modules": events["idle"]["heavy_modules"],
    }


def run(runs: int, roots: list[Path]) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {str(r): [] for r in roots}
    with tempfile.TemporaryDirectory(prefix="candeia-start-") as tmp:
        for i in range(runs + 1):
            for root in roots:  # interleaved, so load from other processes hits each alike
                sample = one_start(root, Path(tmp) / f"home-{i}-{roots.index(root)}")
                if i:  # the first round warms the disk cache and Python's bytecode caches
                    results[str(root)].append(sample)
    summary: dict[str, Any] = {}
    for name, samples in results.items():
        paints = [s["paint_s"] for s in samples]
        summary[name] = {
            "paint_s_median": statistics.median(paints), "paint_s_best": min(paints),
            "idle_rss_mb_median": statistics.median(s["idle_rss_mb"] for s in samples),
            "heavy_modules": sorted({m for s in samples for m in s["heavy_modules"]}),
            "samples": samples,
        }
    return summary


def rows(summary: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for root, s in summary.items():
        label = "" if Path(root) == ROOT else f" ({root})"
        out.append([f"cold start to painted window (s), median (best){label}",
                    f"{s['paint_s_median']:.2f} ({s['paint_s_best']:.2f})", "< 1.5 s"])
        out.append([f"idle memory, no model (MB RSS){label}", f"{s['idle_rss_mb_median']:.0f}", "< 200 MB"])
        out.append([f"heavy modules imported when idle{label}", ", ".join(s["heavy_modules"]) or "none",
                    "none (llama_cpp, onnxruntime deferred)"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, action="append", help="also measure this checkout (repeatable)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    roots = [ROOT, *(p.resolve() for p in args.root or [])]
    before = load_average()
    summary = run(args.runs, roots)
    return publish("startup", f"{args.runs} starts each, interleaved; load average {before} -> {load_average()}",
                   ["start-up", "measured", "target"], rows(summary),
                   {"runs": args.runs, "load_average": before, "results": summary}, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
