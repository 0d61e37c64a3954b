"""Where a caption's time goes: encoder, cross-attention projections, each decoder step, Python.

    python -m benchmarks.caption_profile [--folder onnx-candeia-int8 --variant quantized] [--batch 1] [--ops]
    python -m benchmarks.caption_profile --speculative [--batch 1]

Runs Candeia's ONNX captioner on the benchmark model (build it with `python -m benchmarks.caption`)
with exactly `--tokens` new tokens, and splits the wall time of one caption into the encoder run,
the cross-attention key/value run, the first decoder step, the median later step, and the Python
between ORT calls (binding, argmax, bookkeeping). `--ops` adds ONNX Runtime's per-operator profile
of the decoder step, with the output projection (lm_head) on its own line. `--speculative` profiles
the fp32 default instead (an int8 draft proposes, the fp32 step verifies): draft runs, verify runs
and the draft's acceptance rate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from .caption import MODEL_DIR, SPIN_ENV, images, load_average


def _timed(session: Any, log: list[float]) -> None:
    run = session.run_with_iobinding

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            log.append(time.perf_counter() - started)

    session.run_with_iobinding = wrapper


def split_times(folder: str, variant: str | None, batch: int, threads: int, tokens: int,
                repeats: int) -> dict[str, float]:
    from engines.caption.onnx_engine import OnnxCaptioner
    from engines.caption.types import CaptionOptions
    from engines.seq2seq.binding import DecodeState
    from engines.seq2seq.greedy import greedy

    cap = OnnxCaptioner(MODEL_DIR / folder, threads=threads, variant=variant, draft=False)
    settings = replace(cap.settings_for(CaptionOptions(max_new_tokens=tokens, num_beams=1)), eos_token_ids=())
    pixels = cap.pixel_values(images(batch))
    ort_steps: list[float] = []
    _timed(cap.rest, ort_steps)
    rows = []
    for _ in range(repeats + 1):  # the first round warms up
        ort_steps.clear()
        started = time.perf_counter()
        hidden = cap.encode(pixels)
        encoded = time.perf_counter()
        state = DecodeState(cap.graphs, hidden)
        crossed = time.perf_counter()
        step_walls: list[float] = []

        def step(tokens_in: Any, state: Any = state, walls: list[float] = step_walls) -> Any:
            begun = time.perf_counter()
            out = state.step(tokens_in)
            walls.append(time.perf_counter() - begun)
            return out

        greedy(step, batch, settings)
        done = time.perf_counter()
        state.release()
        decode = done - crossed
        rows.append({
            "encoder_s": encoded - started,
            "cross_kv_s": crossed - encoded,
            "first_step_s": ort_steps[0],
            "median_step_s": statistics.median(ort_steps[1:]),
            "ort_decode_s": sum(ort_steps),
            "python_decode_s": decode - sum(ort_steps),
            "python_in_step_s": sum(step_walls) - sum(ort_steps),
            "total_s": done - started,
        })
    return {key: statistics.median(r[key] for r in rows[1:]) for key in rows[0]}


def speculative_times(batch: int, threads: int, tokens: int, repeats: int) -> dict[str, Any]:
    """One fp32 caption with the draft (the default): encoder, cross K/V, draft and verify runs."""
    from engines.caption.onnx_engine import OnnxCaptioner
    from engines.caption.types import CaptionOptions

    cap = OnnxCaptioner(MODEL_DIR / "onnx", threads=threads)
    assert cap.draft is not None, "no draft: is CANDEIA_CAPTION_DRAFT=0 set?"
    settings = replace(cap.settings_for(CaptionOptions(max_new_tokens=tokens, num_beams=1)), eos_token_ids=())
    pixels = cap.pixel_values(images(batch))
    logs: dict[str, list[float]] = {"cross": [], "verify": [], "draft": []}
    for key, session in (("cross", cap.cross), ("verify", cap.rest), ("draft", cap.draft)):
        _timed(session, logs[key])
    encoder: list[float] = []
    run = cap.encoder.run

    def encode(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(*args, **kwargs)
        finally:
            encoder.append(time.perf_counter() - started)

    cap.encoder.run = encode
    rows = []
    for _ in range(repeats + 1):  # the first round warms up
        for log in (*logs.values(), encoder):
            log.clear()
        started = time.perf_counter()
        cap.generate(pixels, settings)
        total = time.perf_counter() - started
        ort = sum(encoder) + sum(sum(v) for v in logs.values())
        rows.append({"encoder_s": sum(encoder), "cross_kv_s": sum(logs["cross"]), "draft_runs": len(logs["draft"]),
                     "draft_s": sum(logs["draft"]), "median_draft_run_s": statistics.median(logs["draft"] or [0.0]),
                     "verify_runs": len(logs["verify"]), "verify_s": sum(logs["verify"]),
                     "python_s": total - ort, "total_s": total})
    out: dict[str, Any] = {key: statistics.median(r[key] for r in rows[1:]) for key in rows[0]}
    out["acceptance"] = cap.draft_stats.acceptance
    return out


def op_profile(folder: str, variant: str | None, batch: int, threads: int, tokens: int) -> dict[str, Any]:
    """ONNX Runtime's own per-operator times for `tokens` decoder steps (one image's worth)."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    from engines.caption.folder import find_caption_files
    from engines.caption.split import split_files
    from engines.paths import cache_dir

    files = find_caption_files(MODEL_DIR / folder, variant)
    assert files.decoder_merged is not None
    halves = split_files(files.decoder_merged, cache_dir() / "caption-split")
    assert halves is not None
    cross_path, step_path = halves
    graph = onnx.load(str(step_path), load_external_data=False).graph
    lm_head = {n.name for n in graph.node if "logits" in n.output}
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.enable_profiling = True
    if os.environ.get(SPIN_ENV) in ("0", "1"):  # as the engine's sessions (engines/onnx/session.py)
        options.add_session_config_entry("session.intra_op.allow_spinning", os.environ[SPIN_ENV])
    options.profile_file_prefix = str(Path("/tmp") / "candeia-caption-step")
    step = ort.InferenceSession(str(step_path), options)
    cross = ort.InferenceSession(str(cross_path))
    hidden = np.random.default_rng(0).standard_normal((batch, 197, 768)).astype(np.float32)
    feeds = dict(zip([o.name for o in cross.get_outputs()], cross.run(None, {"encoder_hidden_states": hidden}),
                     strict=True))
    names = [o.name for o in step.get_outputs()]
    for value in step.get_inputs():
        if value.name.startswith("past_key_values."):
            feeds[value.name] = np.zeros((batch, value.shape[1], 0, value.shape[3]), dtype=np.float32)
    token = np.zeros((batch, 1), dtype=np.int64)
    for _ in range(tokens):
        out = step.run(None, {**feeds, "input_ids": token})
        feeds.update({n.replace("present", "past_key_values"): v for n, v in zip(names[1:], out[1:], strict=True)})
    events = json.loads(Path(step.end_profiling()).read_text())
    by_op: Counter[str] = Counter()
    count: Counter[str] = Counter()
    head = 0.0
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
            count[event["args"]["op_name"]] += 1
            # fused nodes keep the original name as a prefix; exporters name the output projection lm_head
            if "lm_head" in event["name"] or any(event["name"].startswith(name) for name in lm_head):
                head += event["dur"]
    runs = [e["dur"] for e in events if e.get("name") == "model_run"]
    return {
        "model_run_ms": statistics.median(runs[1:]) / 1000,
        "kernels_ms": sum(by_op.values()) / tokens / 1000,
        "lm_head_ms": head / tokens / 1000,
        "nodes_per_step": sum(count.values()) / tokens,
        "ops_ms": {op: d / tokens / 1000 for op, d in by_op.most_common(12)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default=None, help="'quantized' for the int8 files")
    parser.add_argument("--folder", default="onnx", help="under bench-results/caption-model: 'onnx-candeia-int8' "
                                                          "for Candeia's int8 recipe")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ops", action="store_true")
    parser.add_argument("--speculative", action="store_true", help="the fp32 default: int8 draft + fp32 verify")
    args = parser.parse_args()
    print(f"load average {load_average()}")
    if args.speculative:
        for key, value in speculative_times(args.batch, args.threads, args.tokens, args.repeats).items():
            if key.endswith("_s"):
                print(f"{key:20s} {value * 1000:8.1f} ms")
            else:
                print(f"{key:20s} {value:8.2f}")
        print(f"load average {load_average()}")
        return 0
    times = split_times(args.folder, args.variant, args.batch, args.threads, args.tokens, args.repeats)
    for key, value in times.items():
        print(f"{key:18s} {value * 1000:8.1f} ms")
    if args.ops:
        ops = op_profile(args.folder, args.variant, args.batch, args.threads, args.tokens)
        print(f"step (ORT profile): run {ops['model_run_ms']:.1f} ms, kernels {ops['kernels_ms']:.1f} ms, "
              f"lm_head {ops['lm_head_ms']:.1f} ms, {ops['nodes_per_step']:.0f} nodes")
        for op, ms in ops["ops_ms"].items():
            print(f"  {op:28s} {ms:7.2f} ms")
    print(f"load average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
