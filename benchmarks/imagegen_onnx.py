"""The ONNX Runtime candidate for image generation, timed on the same weights as stable-diffusion.cpp.

docs/image-generation.md chose stable-diffusion.cpp; this module is the other side of that measurement:
the random-weight SD 1.5 that `imagegen_speed` builds, exported with torch.onnx to three fp32 graphs
(CLIP text encoder, UNet, VAE decoder; the UNet's 3.4 GB go to external data files), run by ONNX Runtime
on the CPU with a numpy Euler-ancestral scheduler (the scheduler is a few array operations per step; all
the time is in the graphs). Nothing here ships: the app has no ONNX image path, and the export needs
PyTorch (dev extra).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_EXPORT_CHILD = r"""
import sys, torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel
folder, out = sys.argv[1], sys.argv[2]


class Unet(torch.nn.Module):
    def __init__(self, unet): super().__init__(); self.unet = unet
    def forward(self, sample, timestep, hidden):
        return self.unet(sample, timestep, encoder_hidden_states=hidden, return_dict=False)[0]


class Decoder(torch.nn.Module):
    def __init__(self, vae): super().__init__(); self.vae = vae
    def forward(self, latent): return self.vae.decode(latent, return_dict=False)[0]


class Text(torch.nn.Module):
    def __init__(self, clip): super().__init__(); self.clip = clip
    def forward(self, ids): return self.clip(ids, return_dict=False)[0]


spatial = {2: "h", 3: "w"}
with torch.no_grad():
    unet = UNet2DConditionModel.from_pretrained(folder + "/unet", torch_dtype=torch.float32).eval()
    torch.onnx.export(Unet(unet), (torch.randn(1, 4, 32, 32), torch.tensor([999.0]), torch.randn(1, 77, 768)),
                      out + "/unet/model.onnx", input_names=["sample", "timestep", "hidden"], output_names=["out"],
                      dynamic_axes={"sample": spatial, "out": spatial}, opset_version=17, dynamo=False)
    vae = AutoencoderKL.from_pretrained(folder + "/vae", torch_dtype=torch.float32).eval()
    torch.onnx.export(Decoder(vae), (torch.randn(1, 4, 32, 32),), out + "/vae_decoder/model.onnx",
                      input_names=["latent"], output_names=["image"],
                      dynamic_axes={"latent": spatial, "image": spatial}, opset_version=17, dynamo=False)
    clip = CLIPTextModel.from_pretrained(folder + "/text_encoder", torch_dtype=torch.float32).eval()
    torch.onnx.export(Text(clip), (torch.zeros(1, 77, dtype=torch.long),), out + "/text_encoder/model.onnx",
                      input_names=["ids"], output_names=["hidden"], opset_version=17, dynamo=False)
"""

_RUN_CHILD = r"""
import json, resource, sys, time
import numpy as np
import onnxruntime as ort
folder, size, steps, guidance, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), \
    int(sys.argv[5])


def session(name):
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(f"{folder}/{name}/model.onnx", options, providers=["CPUExecutionProvider"])


text, unet, vae = session("text_encoder"), session("unet"), session("vae_decoder")
betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=np.float64) ** 2  # SD 1.5's scaled_linear
alphas = np.cumprod(1.0 - betas)


def generate(size, steps, seed):
    rng = np.random.default_rng(seed)
    hidden = text.run(None, {"ids": np.zeros((1, 77), np.int64)})[0]
    timesteps = np.linspace(0, 999, steps)[::-1]
    sigmas = np.append(np.sqrt((1 - alphas[timesteps.round().astype(int)]) / alphas[timesteps.round().astype(int)]), 0)
    latent = rng.standard_normal((1, 4, size // 8, size // 8)) * np.sqrt(sigmas[0] ** 2 + 1)
    for i, t in enumerate(timesteps):
        sigma, following = sigmas[i], sigmas[i + 1]
        model_in = (latent / np.sqrt(sigma ** 2 + 1)).astype(np.float32)
        if guidance > 1:  # classifier-free guidance: the unconditional and conditional passes in one batch
            both = unet.run(None, {"sample": np.concatenate([model_in] * 2), "timestep": np.array([t, t], np.float32),
                                   "hidden": np.concatenate([hidden] * 2)})[0]
            eps = both[:1] + guidance * (both[1:] - both[:1])
        else:
            eps = unet.run(None, {"sample": model_in, "timestep": np.array([t], np.float32), "hidden": hidden})[0]
        denoised = latent - sigma * eps
        up = np.sqrt(following ** 2 * (sigma ** 2 - following ** 2) / sigma ** 2)
        down = np.sqrt(following ** 2 - up ** 2)
        latent = latent + (latent - denoised) / sigma * (down - sigma) + rng.standard_normal(latent.shape) * up
    image = vae.run(None, {"latent": (latent / 0.18215).astype(np.float32)})[0]
    return ((np.clip(image[0], -1, 1) + 1) * 127.5).round().astype(np.uint8).transpose(1, 2, 0)


generate(size, 1, 1)  # warm-up at the timed size, as the other engines get
start = time.perf_counter()
pixels = generate(size, steps, 42)
seconds = time.perf_counter() - start
assert pixels.shape == (size, size, 3)
print(json.dumps({"seconds": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def export_onnx(model: Path, out: Path) -> Path:
    """The three fp32 graphs of a diffusers folder, once (about a minute and 4 GB on disk for SD 1.5)."""
    if (out / "text_encoder" / "model.onnx").exists():
        return out
    for part in ("unet", "vae_decoder", "text_encoder"):
        (out / part).mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _EXPORT_CHILD, str(model), str(out)], timeout=3600,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"ONNX export failed: {done.stderr[-2000:]}")
    return out


def run_onnx(graphs: Path, size: int, steps: int, guidance: float, threads: int) -> dict[str, Any]:
    """One generation in a fresh process (its peak memory is its own), after a warm-up at the same size."""
    done = subprocess.run([sys.executable, "-c", _RUN_CHILD, str(graphs), str(size), str(steps), str(guidance),
                           str(threads)], capture_output=True, text=True, timeout=7200, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
