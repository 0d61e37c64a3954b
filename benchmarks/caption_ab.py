"""Captioning of two checkouts in one process: both captioners loaded, their generations alternating.

    python -m benchmarks.caption_ab --base OTHER_CHECKOUT [--caption ONNX_FOLDER] [--processes 4] [--pairs 10]
                                    [--case draft|plain|beam] [--threads 2] [--tokens 32]

For a change to captioning's decoding (engines/seq2seq, engines/caption): A is the other checkout, B this
one. seq2seq_ab.py times each side in its own child processes, so a side's figure also carries whatever
differs between two processes (where their memory landed, the machine's load in that minute). Here each
child process imports both checkouts' `engines` (one after the other, each under its own root), loads
both captioners on the same files, checks that they generate the same ids, and then alternates single
generations A, B / B, A, so both sides meet the same moment of the machine. In one process the captioner
loaded second ran up to 7 % faster here whichever code it was (its memory's placement), so the children
take turns at which side loads first and the report gives each order's median B/A and their mean, the
figure to read. `--caption` defaults to benchmarks.caption's random-weight vit-gpt2-shaped export, built
when missing (needs the test extra: torch, transformers, optimum). Takes about 2 minutes on a quiet
machine with the defaults.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .report import load_average, markdown_table, write_json

ROOT = Path(__file__).resolve().parents[1]
CASES = {"draft": (True, 1), "plain": (False, 1), "beam": (False, 3)}  # case: (int8 draft, beams)


def _load(root: Path, model: Path, args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """`root`'s captioner, settings for exactly `args.tokens` new tokens, and one image's pixels."""
    import numpy as np
    from PIL import Image

    for name in [m for m in sys.modules if m == "engines" or m.startswith("engines.")]:
        del sys.modules[name]  # the objects made so far keep their own modules
    sys.path.insert(0, str(root))
    try:
        onnx_engine = importlib.import_module("engines.caption.onnx_engine")
        types = importlib.import_module("engines.caption.types")
        assert str(onnx_engine.__file__).startswith(str(root)), onnx_engine.__file__
        draft, beams = CASES[args.case]
        cap = onnx_engine.OnnxCaptioner(model, threads=args.threads, draft=draft)
        settings = cap.settings_for(types.CaptionOptions(max_new_tokens=args.tokens, num_beams=beams))
        field = "eos_tokens" if hasattr(settings, "eos_tokens") else "eos_token_ids"  # older checkouts: eos_tokens
        settings = replace(settings, **{field: ()})
        image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8))
        return cap, settings, cap.pixel_values([image])
    finally:
        sys.path.remove(str(root))


def child(args: argparse.Namespace) -> dict[str, Any]:
    roots = {"A": args.base.resolve(), "B": ROOT}
    first = args.child
    sides = {side: _load(roots[side], args.caption, args) for side in (first, "B" if first == "A" else "A")}
    ids = {side: cap.generate(pixels, s) for side, (cap, s, pixels) in sides.items()}
    if ids["A"] != ids["B"]:
        raise SystemExit("A and B generate different ids: the comparison would not be fair")
    for cap, s, pixels in sides.values():
        cap.generate(pixels, s)  # a second warm-up each
    times: dict[str, list[float]] = {"A": [], "B": []}
    for pair in range(args.pairs):
        for side in ("A", "B") if pair % 2 == 0 else ("B", "A"):
            cap, s, pixels = sides[side]
            started = time.perf_counter()
            cap.generate(pixels, s)
            times[side].append(time.perf_counter() - started)
    return {"first": first, "A": times["A"], "B": times["B"]}


def report(results: list[dict[str, Any]]) -> str:
    rows: list[list[Any]] = []
    order_medians: list[float] = []
    for first in ("A", "B"):
        ratios = [b / a for r in results if r["first"] == first for a, b in zip(r["A"], r["B"], strict=True)]
        a = [t for r in results if r["first"] == first for t in r["A"]]
        b = [t for r in results if r["first"] == first for t in r["B"]]
        if not ratios:
            continue
        order_medians.append(statistics.median(ratios))
        rows.append([f"{first} loaded first", f"{statistics.median(a) * 1000:.0f}",
                     f"{statistics.median(b) * 1000:.0f}", f"{order_medians[-1]:.3f}",
                     f"{min(ratios):.2f}-{max(ratios):.2f}", len(ratios)])
    table = markdown_table(["processes", "A ms (median)", "B ms (median)", "B/A per pair (median)", "range",
                            "pairs"], rows)
    return f"{table}\nB/A, mean of the load orders' medians: {statistics.mean(order_medians):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (A); this one is B")
    parser.add_argument("--caption", type=Path, help="a vision-encoder-decoder ONNX folder (default: built)")
    parser.add_argument("--case", choices=list(CASES), default="draft")
    parser.add_argument("--processes", type=int, default=4, help="even: each side loads first as often")
    parser.add_argument("--pairs", type=int, default=10, help="A/B generation pairs per process")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--child", choices=["A", "B"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.caption is None:
        from .caption import MODEL_DIR, build_model

        build_model()
        args.caption = MODEL_DIR / "onnx"
    if args.child:
        print(json.dumps(child(args)))
        return 0
    if args.processes % 2:
        parser.error("--processes must be even, so each side loads first as often")
    print(f"load average before: {load_average()}", file=sys.stderr)
    results = []
    for index in range(args.processes):
        command = [sys.executable, "-m", "benchmarks.caption_ab", *sys.argv[1:], "--caption", str(args.caption),
                   "--child", "AB"[index % 2]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=ROOT, env=dict(os.environ))
        if done.returncode != 0:
            print(f"process {index + 1} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"process {index + 1}/{args.processes} done, load average {load_average()}", file=sys.stderr)
    print(report(results))
    write_json("caption_ab", {"base": str(args.base.resolve()), "case": args.case, "results": results,
                              "load_average": load_average()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
