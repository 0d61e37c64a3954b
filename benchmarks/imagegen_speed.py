"""Image generation speed: Candeia's two image engines (stable-diffusion.cpp and ONNX Runtime, each in an
image host) against sd-cli and diffusers.

    python -m benchmarks.imagegen_speed --model FOLDER_OR_FILE [--size 512] [--steps 1 20] [--threads 2]
        [--sd-cli build/sd-cpp/bin/sd-cli] [--diffusers] [--onnx] [--guidance 1]

With no --model, a random-weight SD 1.5 (real shapes, tests/sd_random.py) is built under build/. Speed does
not depend on the weights' values. Per setting, one generation each (after a warm-up generation for the
in-process engines, 1 step at the timed size, so per-shape first-call costs stay out), timed from the
request to the image:
- candeia: HostedImageEngine.generate on the stable-diffusion.cpp host (host already loaded), peak resident
  memory of the host (VmHWM); left out when stable-diffusion.cpp (the `image` extra) is not importable;
- sd-cli: stable-diffusion.cpp's own CLI, same file, same settings: the time it reports for generating
  (its load excluded, as ours is), peak memory from the kernel's accounting of the child;
- diffusers (--diffusers): StableDiffusionPipeline on CPU, fp32 (diffusers on CPU does not run f16), same
  scheduler (Euler ancestral), a fresh process so its peak is its own;
- onnx (--onnx): Candeia's ONNX Runtime engine, the same way (HostedImageEngine, the app's path), on the same
  weights exported once to an fp32 ONNX folder (benchmarks/imagegen_onnx.py), numpy Euler ancestral.
Guidance 1 by default: one UNet pass per step, as SD-Turbo runs (guidance > 1 doubles every engine's work).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .imagegen_onnx import export_onnx
from .report import load_average, publish

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "a lighthouse on a cliff at dusk, oil painting"
_DIFFUSERS_CHILD = r"""
import json, sys, time, torch
from diffusers import StableDiffusionPipeline, EulerAncestralDiscreteScheduler, UNet2DConditionModel, AutoencoderKL
from transformers import CLIPTextModel
folder, size, steps, guidance, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), \
    int(sys.argv[5])
torch.set_num_threads(threads)
unet = UNet2DConditionModel.from_pretrained(folder + "/unet", torch_dtype=torch.float32)
vae = AutoencoderKL.from_pretrained(folder + "/vae", torch_dtype=torch.float32)
text = CLIPTextModel.from_pretrained(folder + "/text_encoder", torch_dtype=torch.float32)
pipe = StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=None, unet=unet,
    scheduler=EulerAncestralDiscreteScheduler(), safety_checker=None, feature_extractor=None,
    requires_safety_checker=False)
ids = torch.zeros((1, 77), dtype=torch.long)
with torch.no_grad():
    embeds = text(ids)[0]
    run = lambda n: pipe(prompt_embeds=embeds, negative_prompt_embeds=embeds, height=size, width=size,
                         num_inference_steps=n, guidance_scale=guidance, output_type="pil")
    pipe(prompt_embeds=embeds, negative_prompt_embeds=embeds, height=size, width=size, num_inference_steps=1,
         guidance_scale=guidance)  # warm-up at the timed size: first-call costs per shape are not the steady state
    start = time.perf_counter(); run(steps); seconds = time.perf_counter() - start
import resource
print(json.dumps({"seconds": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def host_peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_candeia(model: Path, size: int, steps: int, guidance: float, threads: int) -> dict[str, Any]:
    from engines.imagegen.hosted import HostedImageEngine
    from engines.imagegen.settings import ImageSettings

    settings = ImageSettings(prompt=PROMPT, width=size, height=size, steps=steps, guidance=guidance, seed=42)
    with HostedImageEngine.open(model, threads=threads) as engine:
        engine.generate(ImageSettings(prompt=PROMPT, width=size, height=size, steps=1, guidance=guidance, seed=1))
        start = time.perf_counter()
        engine.generate(settings)
        seconds = time.perf_counter() - start
        assert engine._host is not None
        return {"seconds": seconds, "peak": host_peak(engine._host.pid), "load_ms": engine.load_ms}


def run_cli(cli: Path, model: Path, size: int, steps: int, guidance: float, threads: int, out: Path) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([str(cli), "-m", str(model), "-p", PROMPT, "-W", str(size), "-H", str(size),
                           "--steps", str(steps), "--cfg-scale", str(guidance), "--sampling-method", "euler_a",
                           "--seed", "42", "-t", str(threads), "-o", str(out)],
                          capture_output=True, text=True, timeout=7200, check=True)
    wall = time.perf_counter() - started
    log = done.stdout + done.stderr
    # sd-cli reports its own generation time (after loading): "generate_image completed in 12.34s"
    found = re.findall(r"generate_image completed in ([0-9.]+)\s*s", log)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": float(found[-1]) if found else wall, "wall": wall,
            "peak": peak * 1024 if peak > before else None}


def run_diffusers(model: Path, size: int, steps: int, guidance: float, threads: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _DIFFUSERS_CHILD, str(model), str(size), str(steps), str(guidance),
                           str(threads)], capture_output=True, text=True, timeout=7200, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def default_model() -> Path:
    folder = ROOT / "build" / "sd15-random"
    if not (folder / "unet").exists():
        sys.path.insert(0, str(ROOT / "tests"))
        importlib.import_module("sd_random").build_random_sd(folder, "sd1")
        (folder / ".done").write_text("ok", encoding="utf-8")  # tests/sd_fixtures.py reuses it
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 20],
                        help="on a slow machine: 1 2, and the table adds 20 steps as 1-step + 19 x (2-step - 1-step)")
    parser.add_argument("--guidance", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sd-cli", type=Path, default=ROOT / "build" / "sd-cpp" / "bin" / "sd-cli")
    parser.add_argument("--diffusers", action="store_true", help="also time diffusers (PyTorch, CPU, fp32)")
    parser.add_argument("--onnx", action="store_true",
                        help="also time ONNX Runtime on the same weights (fp32 graphs, numpy scheduler)")
    args = parser.parse_args()
    model = args.model or default_model()
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    sdcpp = importlib.util.find_spec("stable_diffusion_cpp") is not None
    onnx_folder = export_onnx(model, model.with_name(model.name + "-onnx")) if args.onnx else None
    for steps in args.steps:
        ours = run_candeia(model, args.size, steps, args.guidance, args.threads) if sdcpp else None
        print(json.dumps({"steps": steps, "candeia": ours}), flush=True)
        cli = (run_cli(args.sd_cli, model, args.size, steps, args.guidance, args.threads, ROOT / "build" / "cli.png")
               if args.sd_cli.exists() else None)
        ref = run_diffusers(model, args.size, steps, args.guidance, args.threads) if args.diffusers else None
        onnx = run_candeia(onnx_folder, args.size, steps, args.guidance, args.threads) if onnx_folder else None
        results.append({"steps": steps, "candeia": ours, "sd_cli": cli, "diffusers": ref, "onnx": onnx})
        print(json.dumps(results[-1]), flush=True)  # a partial run still leaves its numbers
        rows.append(_row(f"{args.size}x{args.size}", steps, ours and ours["seconds"], cli and cli["seconds"],
                         ref and ref["seconds"], ours and ours["peak"], ref and ref["peak"],
                         onnx and onnx["seconds"], onnx and onnx["peak"]))
    rows += _extrapolated(results, args.size)
    headline = (f"imagegen speed, {model.name}, {args.threads} threads, guidance {args.guidance:g}, "
                f"load average {load_average()}")
    headers = ["size", "steps", "sd.cpp host s/image", "sd.cpp host peak MiB", "sd-cli s", "sd-cli/sd.cpp host",
               "diffusers s", "diffusers/sd.cpp host", "diffusers peak MiB", "onnx host s/image",
               "diffusers/onnx host", "onnx host peak MiB"]
    payload = {"model": str(model), "threads": args.threads, "guidance": args.guidance, "results": results,
               "load_average": load_average()}
    return publish("imagegen_speed", headline, headers, rows, payload)


def _extrapolated(results: list[dict[str, Any]], size: int) -> list[list[Any]]:
    """20 steps from a 1-step and a 2-step run: the step is the only part that repeats."""
    by_steps = {r["steps"]: r for r in results}
    if 20 in by_steps or not {1, 2} <= set(by_steps):
        return []

    def twenty(engine: str) -> float | None:
        one, two = by_steps[1][engine], by_steps[2][engine]
        if not one or not two or two["seconds"] <= one["seconds"]:  # load changed during the run: no step time
            return None
        return float(one["seconds"] + 19 * (two["seconds"] - one["seconds"]))

    ours, cli, ref, onnx = twenty("candeia"), twenty("sd_cli"), twenty("diffusers"), twenty("onnx")
    return [_row(f"{size}x{size}", "20 (from 1 and 2)", ours, cli, ref, None, None, onnx, None)]


def _row(size: str, steps: object, ours: float | None, cli: float | None, ref: float | None, peak: int | None,
         ref_peak: int | None, onnx: float | None, onnx_peak: int | None) -> list[Any]:
    def num(value: float | None, digits: int = 1) -> str:
        return f"{value:.{digits}f}" if value else "-"

    def ratio(top: float | None, bottom: float | None) -> str:
        return num(top / bottom, 2) if top and bottom else "-"

    return [size, steps, num(ours), _mib(peak), num(cli), ratio(cli, ours), num(ref), ratio(ref, ours),
            _mib(ref_peak), num(onnx), ratio(ref, onnx), _mib(onnx_peak)]


def _mib(value: int | None) -> str:
    return f"{value / 2**20:.0f}" if value else "-"


if __name__ == "__main__":
    raise SystemExit(main())
