"""Per-graph speed of the ONNX image engine against PyTorch: one UNet call and one VAE decode.

    python -m benchmarks.imagegen_parts [--size 256] [--threads 2] [--repeats 3]

On the random SD 1.5 of `imagegen_speed` (build/sd15-random, built there) and its ONNX export
(build/sd15-random-onnx, made by benchmarks/imagegen_onnx.py): the sessions the app makes
(`engines.onnx.session.make_session`) against diffusers' modules, fp32, the same threads. The two
alternate call by call after a warm-up, so a change in the machine's load hits both alike; whole-image
times (imagegen_speed) swing too much on a shared machine to compare engines by.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .imagegen_onnx import export_onnx
from .imagegen_speed import default_model
from .report import load_average


def _once(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _pair(part: str, model: Path, graphs: Path, size: int, threads: int) -> tuple[Any, Any]:
    """(ONNX Runtime call, PyTorch call) for one part."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    from engines.onnx.session import make_session

    latent = np.random.default_rng(0).standard_normal((1, 4, size // 8, size // 8), dtype=np.float32)
    hidden = np.random.default_rng(1).standard_normal((1, 77, 768), dtype=np.float32)
    if part == "unet":
        session = make_session(graphs / "unet" / "model.onnx", threads, stop_spinning=True)
        unet = UNet2DConditionModel.from_pretrained(model / "unet", torch_dtype=torch.float32).eval()
        feeds = {"sample": latent, "timestep": np.array(999.0, np.float32), "encoder_hidden_states": hidden}
        return (lambda: session.run(None, feeds),
                lambda: unet(torch.from_numpy(latent), 999, encoder_hidden_states=torch.from_numpy(hidden)))
    session = make_session(graphs / "vae_decoder" / "model.onnx", threads, stop_spinning=True)
    vae = AutoencoderKL.from_pretrained(model / "vae", torch_dtype=torch.float32).eval()
    return lambda: session.run(None, {"latent_sample": latent}), lambda: vae.decode(torch.from_numpy(latent))


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = default_model()
    graphs = export_onnx(model, model.with_name(model.name + "-onnx"))
    print(f"{args.size}x{args.size}, {args.threads} threads, load average {load_average()}")
    with torch.no_grad():
        for part in ("unet", "vae_decoder"):
            ort_call, torch_call = _pair(part, model, graphs, args.size, args.threads)
            ort_call(), torch_call()  # warm-up: first-call costs per shape are not the steady state
            ort_s, torch_s = [], []
            for _ in range(args.repeats):
                ort_s.append(_once(ort_call))
                torch_s.append(_once(torch_call))
            print(json.dumps({"part": part, "onnxruntime_s": ort_s, "pytorch_s": torch_s,
                              "pytorch_over_onnxruntime": min(torch_s) / min(ort_s)}), flush=True)
            del ort_call, torch_call
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
