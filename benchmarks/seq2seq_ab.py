"""Two checkouts' translation and captioning, timed in alternating child processes (A, B, A, B...).

    python -m benchmarks.seq2seq_ab --base OTHER_CHECKOUT [--translate MARIAN_ONNX] [--caption CAPTIONER_ONNX]
                                    [--rounds 6] [--threads 2]

For a change to the encoder-decoder runtime: each round runs every case once in a fresh child of
each checkout, in turns, so a noisy shared machine slows both alike; a case's figure is the median
over rounds. Every child imports only its checkout's `engines` (its root first on sys.path), loads
the model, warms up once and times `--repeats` runs (median). Peak memory is the child's peak
resident size (VmHWM) minus its size after imports, before the load. Only public engine APIs are
used, so any two checkouts since the regroup of `engines/` compare. Models: benchmarks/translate.py
and benchmarks/caption.py build random-weight ones at opus-mt's and vit-gpt2's real shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .report import load_average, markdown_table, write_json

ROOT = Path(__file__).resolve().parents[1]
NEW_TOKENS = 32
# case: (task, precision or option, batch, beams); translation's draft only where the case says "+draft"
CASES = {
    "translate-fp32-b1": ("translate", "fp32", 1, 1),
    "translate-fp32-b16": ("translate", "fp32", 16, 1),
    "translate-int8-b16": ("translate", "int8", 16, 1),
    "translate-fp32-beam4": ("translate", "fp32", 1, 4),
    "translate-fp32-draft-b1": ("translate", "fp32+draft", 1, 1),  # B's int8 draft, where B has one
    "translate-fp32-draft-b4": ("translate", "fp32+draft", 4, 1),
    "caption-fp32-b1": ("caption", "draft", 1, 1),
    "caption-fp32-plain-b1": ("caption", "plain", 1, 1),
    "caption-fp32-beam3": ("caption", "plain", 1, 3),
}

CHILD = r'''
import json, statistics, sys, time
root, case, model = sys.argv[1:4]
threads, repeats, tokens = (int(v) for v in sys.argv[4:7])
sys.path.insert(0, root)
from dataclasses import replace
import numpy as np
import engines
assert engines.__file__.startswith(root), engines.__file__

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

task, option, batch, beams = json.loads(sys.argv[7])
base = status("VmRSS:")
if task == "translate":
    from engines.translate.engine import DecodeOptions, Seq2SeqEngine
    engine = Seq2SeqEngine(model, variant=option.split("+")[0], threads=threads)
    rng = np.random.default_rng(0)
    vocab = int(engine.files.config["vocab_size"])
    rows = [[*rng.integers(2, vocab - 2, 23).tolist(), 0] for _ in range(batch)]
    settings = engine.settings_for(None, DecodeOptions(num_beams=beams, max_new_tokens=tokens))
    settings = settings.with_options(min_length=tokens + 1)  # exactly `tokens` new tokens
    run = lambda: engine.generate_ids(rows, settings)
else:
    from PIL import Image
    from engines.caption.onnx_engine import OnnxCaptioner
    from engines.caption.types import CaptionOptions
    cap = OnnxCaptioner(model, threads=threads, draft=option == "draft")
    settings = cap.settings_for(CaptionOptions(max_new_tokens=tokens, num_beams=beams))
    field = "eos_tokens" if hasattr(settings, "eos_tokens") else "eos_token_ids"
    settings = replace(settings, **{field: ()})
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)) for _ in range(batch)]
    pixels = cap.pixel_values(images)
    run = lambda: cap.generate(pixels, settings)
out = run()
times = []
for _ in range(repeats):
    started = time.perf_counter()
    again = run()
    times.append(time.perf_counter() - started)
    assert again == out
print(json.dumps({"seconds": statistics.median(times), "peak_mb": status("VmHWM:") - base}))
'''


def run_child(root: Path, case: str, model: Path, args: argparse.Namespace) -> dict[str, float] | None:
    command = [sys.executable, "-c", CHILD, str(root), case, str(model), str(args.threads), str(args.repeats),
               str(NEW_TOKENS), json.dumps(CASES[case])]
    env = {**os.environ, "CANDEIA_TRANSLATE_DRAFT": "1" if "+draft" in CASES[case][1] else "0"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd="/", env=env)
    if done.returncode != 0:
        print(f"{case} in {root} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (A); this one is B")
    parser.add_argument("--translate", type=Path, help="a Marian ONNX folder with fp32 and int8 graphs")
    parser.add_argument("--caption", type=Path, help="an fp32 vision-encoder-decoder ONNX folder")
    parser.add_argument("--rounds", type=int, default=6, help="even: each checkout goes first as often")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=list(CASES))
    args = parser.parse_args()
    if args.rounds % 2:  # the first child of a pair ran slower here (2 of 3 rounds A-first favoured B by 10-30 %)
        parser.error("--rounds must be even, so each checkout goes first as often")
    models = {"translate": args.translate, "caption": args.caption}
    cases = [c for c in (args.only or CASES) if models[CASES[c][0]] is not None]
    roots = {"A": args.base.resolve(), "B": ROOT}
    samples: dict[str, dict[str, list[dict[str, float]]]] = {c: {"A": [], "B": []} for c in cases}
    print(f"load average before: {load_average()}", file=sys.stderr)
    for round_ in range(args.rounds):
        for case in cases:
            order = ("A", "B") if round_ % 2 == 0 else ("B", "A")  # who goes first alternates too
            for side in order:
                result = run_child(roots[side], case, models[CASES[case][0]], args)
                if result is not None:
                    samples[case][side].append(result)
        print(f"round {round_ + 1}/{args.rounds} done, load average {load_average()}", file=sys.stderr)
    print(report(samples))
    write_json("seq2seq_ab", {"base": str(roots["A"]), "samples": samples, "load_average": load_average()})
    return 0


def report(samples: dict[str, dict[str, list[dict[str, float]]]]) -> str:
    rows: list[list[Any]] = []
    for case, sides in samples.items():
        if not sides["A"] or not sides["B"]:
            continue
        a = statistics.median(s["seconds"] for s in sides["A"])
        b = statistics.median(s["seconds"] for s in sides["B"])
        pairs = [y["seconds"] / x["seconds"] for x, y in zip(sides["A"], sides["B"], strict=False)]
        ma = statistics.median(s["peak_mb"] for s in sides["A"])
        mb = statistics.median(s["peak_mb"] for s in sides["B"])
        rows.append([case, f"{a * 1000:.0f}", f"{b * 1000:.0f}", f"{b / a:.3f}", f"{statistics.median(pairs):.3f}",
                     f"{ma:.0f}", f"{mb:.0f}", len(pairs)])
    return markdown_table(["case", "A ms (median)", "B ms (median)", "B/A medians", "B/A per round (median)",
                           "A peak MB", "B peak MB", "rounds"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
