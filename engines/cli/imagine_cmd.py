"""`candeia-cli imagine`: make images from a prompt (or from an image and a prompt) with a Stable Diffusion model."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from engines.errors import UsageError

_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "imagine",
        help="make images from a prompt with a Stable Diffusion model",
        description="Make an image from PROMPT ('-' reads it from stdin). Images go to the gallery folder of "
        "the data folder, or to -o OUT.png (OUT-1.png, OUT-2.png, ... for a batch), with the settings in a "
        "PNG 'parameters' chunk. Progress goes to stderr. Steps, guidance and sampler default to the "
        "model card's recommendation.",
    )
    parser.add_argument("-m", "--model", required=True, help="installed model id, .safetensors or .gguf file")
    parser.add_argument("prompt", metavar="PROMPT")
    parser.add_argument("--negative", default="", help="negative prompt: what the image should not show")
    parser.add_argument("--steps", type=int, help="sampling steps (SD-Turbo: 1-4; SD 1.5: 20-30)")
    parser.add_argument("--seed", type=int, default=-1, help="the same seed, settings and model give the same image "
                        "(default: random; the seed used is printed and stored in the PNG)")
    parser.add_argument("--size", default="512x512", help="WIDTHxHEIGHT, multiples of 64 (default 512x512)")
    parser.add_argument("--guidance", type=float, help="classifier-free guidance scale (SD-Turbo: 0)")
    parser.add_argument("--sampler", help="euler_a, euler, heun, dpm2, dpm++2s_a, dpm++2m, dpm++2mv2, ipndm, "
                        "ipndm_v, lcm, ddim_trailing, tcd (or an AUTOMATIC1111 name)")
    parser.add_argument("--batch-count", type=int, default=1, help="images to make (seeds SEED, SEED+1, ...)")
    parser.add_argument("--init", type=Path, help="img2img: start from this image")
    parser.add_argument("--strength", type=float, default=0.75,
                        help="img2img: how far to move from the init image, 0-1 (default 0.75)")
    parser.add_argument("-o", "--output", type=Path, help="write the PNG here instead of the gallery")
    parser.add_argument("--json", action="store_true", help='print {"images": [{"path", "seed", ...}], ...}')
    parser.add_argument("--threads", type=int)
    parser.set_defaults(handler=run)


def parse_size(text: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"--size must look like 512x512 (got '{text}')")
    return int(match.group(1)), int(match.group(2))


def settings_from_args(args: argparse.Namespace, recommended: dict[str, Any]) -> Any:
    from engines.imagegen.check import check_settings
    from engines.imagegen.settings import ImageSettings

    prompt = sys.stdin.read().strip() if args.prompt == "-" else args.prompt
    width, height = parse_size(args.size)
    settings = ImageSettings(
        prompt=prompt, negative_prompt=args.negative, width=width, height=height,
        steps=args.steps if args.steps is not None else int(recommended.get("steps", 20)),
        guidance=args.guidance if args.guidance is not None else float(recommended.get("guidance", 7.0)),
        sampler=args.sampler or str(recommended.get("sampler", "euler_a")), seed=args.seed,
        batch_count=args.batch_count, init_image=args.init, strength=args.strength)
    check_settings(settings)
    return settings


def run(args: argparse.Namespace) -> int:
    from engines.imagegen.defaults import recommended_for
    from engines.imagegen.engine import open_image_engine
    from engines.imagegen.output import save_images

    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be at least 1")
    settings = settings_from_args(args, recommended_for(args.model))
    engine = open_image_engine(args.model, threads=args.threads)
    try:
        images = engine.generate(settings, on_step=_progress(sys.stderr.isatty()))
    finally:
        engine.close()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    saved = save_images(images, engine.model_id, args.output)
    if args.json:
        print(json.dumps({"model": engine.model_id, "images": [
            {"path": str(s.path), "seed": s.settings.seed, "seconds": round(s.seconds, 3), "width": s.settings.width,
             "height": s.settings.height, "steps": s.settings.steps, "guidance": s.settings.guidance,
             "sampler": s.settings.sampler} for s in saved]}, ensure_ascii=False))
    else:
        for item in saved:
            print(f"{item.path}  (seed {item.settings.seed}, {item.seconds:.1f} s)")
    return 0


def _progress(tty: bool) -> Any:
    def show(step: int, total: int, preview: bytes | None) -> None:
        if preview is not None:
            return
        if tty:
            sys.stderr.write(f"\rstep {step}/{total}")
        else:
            sys.stderr.write(f"step {step}/{total}\n")
        sys.stderr.flush()

    return show
