"""Idle threads between sessions: Candeia's captioner with and without `session.force_spinning_stop`.

    python -m benchmarks.caption_spin [--repeats 20] [--precision int8 fp32]

A caption runs three ONNX Runtime sessions one after another (encoder, cross-attention keys/values,
decoder steps), each with its own intra-op pool. With ONNX Runtime's default spinning, a pool's
workers keep busy-waiting for a while after its run ends, on cores the next session needs. The
engine now makes its sessions stop spinning when a run ends (`make_session(stop_spinning=True)`);
this loads the benchmark model (see benchmarks/caption.py) once per setting, in one process, and
alternates single-image captions between them, so every setting sees the same load from other
programs:

- `spin, kept after run`: the sessions as they were (ONNX Runtime's default spinning);
- `spin, stopped after run`: the engine's sessions now;
- `no spin`: idle workers always sleep (what `CANDEIA_ORT_SPIN=0` gives).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .caption import MODEL_DIR, images, load_average
from .report import markdown_table

SETTINGS = {  # name: (allow spinning, stop spinning when a run ends)
    "spin, kept after run": (True, False),
    "spin, stopped after run": (True, True),
    "no spin": (False, False),
}


def _session(path: str, threads: int, spin: bool, stop: bool) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    if stop:
        options.add_session_config_entry("session.force_spinning_stop", "1")
    options.enable_mem_pattern = False  # as the engine's step session
    return ort.InferenceSession(path, options)


def runner(precision: str, threads: int, tokens: int, spin: bool, stop: bool) -> Callable[[], None]:
    """One single-image caption with the engine's sessions remade under the given spin setting."""
    from engines.caption.onnx_engine import OnnxCaptioner
    from engines.caption.types import CaptionOptions

    int8 = precision == "int8"
    cap = OnnxCaptioner(MODEL_DIR / ("onnx-candeia-int8" if int8 else "onnx"), threads=threads,
                        variant="quantized" if int8 else None)
    assert cap.cross is not None
    cap.encoder = _session(cap.encoder._model_path, threads, spin, stop)
    cap.cross = _session(cap.cross._model_path, threads, spin, stop)
    cap.first = cap.rest = _session(cap.rest._model_path, threads, spin, stop)
    settings = replace(cap.settings_for(CaptionOptions(max_new_tokens=tokens, num_beams=1)), eos_token_ids=())
    image = images(1)

    def run() -> None:
        ids = cap.generate(cap.pixel_values(image), settings)
        cap.tokenizer.decode_batch(ids)
        assert len(ids[0]) == tokens + 1

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--precision", nargs="*", choices=["int8", "fp32"], default=["int8"])
    args = parser.parse_args()
    runs = {f"{p}, {name}": runner(p, args.threads, args.tokens, *flags)
            for p in args.precision for name, flags in SETTINGS.items()}
    for run in runs.values():
        run()  # warm-up
    load_before = load_average()
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for index in range(args.repeats):
        for name in names if index % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - started)
    print(f"load average before/after: {load_before} / {load_average()}; {args.repeats} captions each, alternating")
    print(markdown_table(["setting", "median s/image (batch 1)", "min", "max"],
                         [[name, f"{statistics.median(t):.3f}", f"{min(t):.3f}", f"{max(t):.3f}"]
                          for name, t in times.items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
