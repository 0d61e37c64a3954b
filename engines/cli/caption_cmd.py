"""`candeia-cli caption`: caption images and folders; one line (or JSON line) per image."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engines.cli import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from engines.cli.args import model_command
from engines.errors import UsageError
from engines.jobs import Cancelled, CancelToken

if TYPE_CHECKING:  # the caption package loads only when the command runs
    from engines.caption.types import CaptionResult


def register(commands: Any) -> None:
    parser = model_command(
        commands, "caption", summary="caption images or folders of images",
        description="Caption each IMAGE, and every image in each DIR. Broken files get an error line and "
        "the batch goes on. With --out or --sidecar, images captioned by an earlier run are skipped.",
        model_help="installed model id, ONNX captioning folder, or GGUF vision model",
    )
    parser.add_argument("inputs", nargs="+", metavar="IMAGE|DIR")
    parser.add_argument("--style", choices=["short", "detailed", "alt"], default="short",
                        help="caption style (vision chat models; ONNX captioners have one style)")
    parser.add_argument("--prompt", help="ask this question about each image instead (vision chat models)")
    parser.add_argument("--out", type=Path, help="append results to FILE.csv or FILE.jsonl")
    parser.add_argument("--sidecar", action="store_true", help="write a .txt caption beside each image")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image")
    parser.add_argument("-r", "--recursive", action="store_true", help="also caption images in subfolders")
    parser.add_argument("--no-resume", action="store_true",
                        help="caption every image again (and overwrite --out) instead of skipping finished ones")
    parser.add_argument("--mmproj", help="vision projector GGUF for a GGUF model (found beside it by default)")
    parser.add_argument("--beams", type=int, help="beam search width (ONNX models)")
    parser.add_argument("--max-tokens", type=int, help="most new tokens per caption")
    parser.add_argument("--batch-size", type=int, help="images per batch (ONNX models)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--gpu-layers", type=int, help="layers to offload to the GPU (GGUF models; -1: all)")
    parser.add_argument("--variant", help="ONNX file variant, e.g. 'quantized' for *_quantized.onnx")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engines.caption.api import open_captioner
    from engines.caption.batch import BatchOptions, caption_paths
    from engines.caption.types import CaptionOptions, CaptionStyle

    _check_args(args)
    captioner = open_captioner(args.model, threads=args.threads, mmproj=args.mmproj,
                               gpu_layers=args.gpu_layers, variant=args.variant)
    if args.prompt is not None and not captioner.supports_prompts:
        captioner.close()
        raise UsageError("--prompt needs a vision chat model (GGUF + mmproj); this captioning model "
                         "only writes captions")
    options = CaptionOptions(
        style=CaptionStyle(args.style),
        prompt=args.prompt,
        max_new_tokens=args.max_tokens,
        num_beams=args.beams,
        batch_size=args.batch_size or captioner.preferred_batch_size,
    )
    batch = BatchOptions(recursive=args.recursive, out=args.out, sidecar=args.sidecar, resume=not args.no_resume)
    cancel = CancelToken()
    show_progress = not args.json and sys.stderr.isatty()
    emit = _printer(args.json, show_progress)
    failed = done = 0
    try:
        for result in caption_paths(captioner, args.inputs, options, batch, cancel=cancel,
                                    progress=_progress_bar(show_progress)):
            done += 1
            failed += 0 if result.ok else 1
            emit(result)
    except (KeyboardInterrupt, Cancelled):
        cancel.cancel()
        print(f"candeia-cli: stopped after {done} images", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        captioner.close()
        if show_progress:
            sys.stderr.write("\n")
    return _summary(done, failed)


def _check_args(args: argparse.Namespace) -> None:
    for flag, value in (("--beams", args.beams), ("--max-tokens", args.max_tokens),
                        ("--batch-size", args.batch_size), ("--threads", args.threads)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1")
    if args.out is not None and args.out.suffix.lower() not in (".csv", ".jsonl"):
        raise UsageError(f"--out must name a .csv or .jsonl file, not '{args.out.name}'")
    if args.prompt is not None and not args.prompt.strip():
        raise UsageError("--prompt is empty")


def _progress_bar(show: bool) -> Callable[[int, int], None]:
    def progress(count: int, total: int) -> None:
        if show:
            width = 30
            filled = width * count // max(1, total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {count}/{total}")
            sys.stderr.flush()

    return progress


def _printer(as_json: bool, show_progress: bool) -> Callable[[CaptionResult], None]:
    """One line per image: JSON, or `path: caption` on stdout and `path: error: ...` on stderr."""

    def emit(result: CaptionResult) -> None:
        if as_json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            return
        if show_progress:
            sys.stderr.write("\r\033[K")
        if result.ok:
            mark = " (earlier run)" if result.skipped else ""
            print(f"{result.path}: {result.caption}{mark}", flush=True)
        else:
            print(f"{result.path}: error: {result.error}", file=sys.stderr, flush=True)

    return emit


def _summary(done: int, failed: int) -> int:
    if done == 0:
        print("candeia-cli: no images found (PNG, JPEG, WebP, GIF, BMP, TIFF)", file=sys.stderr)
        return EXIT_SOME_FAILED
    if failed:
        print(f"candeia-cli: {failed} of {done} images could not be captioned", file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0
