"""`candeia-cli translate`: text, stdin or a file, through an ONNX translation model or a chat model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engines.atomic import atomic_write_text
from engines.cli.args import model_command
from engines.errors import UsageError
from engines.jobs import CancelToken


def register(commands: Any) -> None:
    parser = model_command(
        commands, "translate", summary="translate text, Markdown or subtitles",
        description="Translate TEXT ('-' reads stdin) or a file (-i). Without -m, Candeia picks an installed "
        "translation model, going through English when needed. Plain text, Markdown (.md), SubRip (.srt) "
        "and WebVTT (.vtt) keep their structure.",
        model_help="installed model id or path (ONNX folder, or a GGUF chat model)", required=False,
    )
    parser.add_argument("text", nargs="?", help="the text; '-' reads it from stdin")
    parser.add_argument("--to", dest="target", required=True, metavar="LANG", help="target language, e.g. pt")
    parser.add_argument("--from", dest="source", metavar="LANG", help="source language (detected when left out)")
    parser.add_argument("-i", "--input", type=Path, help="file to translate")
    parser.add_argument("-o", "--output", type=Path, help="write the translation here (UTF-8)")
    parser.add_argument("--format", choices=["auto", "text", "markdown", "srt", "vtt"], default="auto",
                        help="document kind (default: from the file name)")
    parser.add_argument("--beams", type=int, help="beam size (default: the model's own)")
    parser.add_argument("--max-tokens", type=int, help="most tokens per sentence")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--int8", action="store_true", help="use the model's int8 graphs")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the text and details")
    parser.set_defaults(handler=run)


def _read_input(args: argparse.Namespace) -> tuple[str, Path | None]:
    from engines.translate.documents import DocumentError, decode_bytes


    if args.input is not None and args.text is not None:
        raise UsageError("give either TEXT or -i FILE, not both")
    if args.input is not None:
        try:
            data = args.input.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read {args.input}: {exc.strerror}") from exc
        return decode_bytes(data, str(args.input)), args.input
    if args.text == "-" or (args.text is None and not sys.stdin.isatty()):
        return decode_bytes(sys.stdin.buffer.read(), "standard input"), None
    if args.text is None:
        raise UsageError("give the text to translate, '-' for stdin, or -i FILE")
    return str(args.text), None


def run(args: argparse.Namespace) -> int:
    from engines.translate.api import TranslationService
    from engines.translate.documents import kind_for
    from engines.translate.engine import DecodeOptions


    if args.beams is not None and args.beams < 1:
        raise UsageError("--beams must be 1 or more")
    text, path = _read_input(args)
    kind = kind_for(path, text) if args.format == "auto" else args.format
    options = DecodeOptions(num_beams=args.beams, max_new_tokens=args.max_tokens, batch_size=max(1, args.batch_size))
    show = sys.stderr.isatty() and not args.json

    def progress(done: int, total: int) -> None:
        if show and total:
            sys.stderr.write(f"\rtranslating {done}/{total}")
            sys.stderr.flush()

    cancel = CancelToken()
    with TranslationService(threads=args.threads, options=options, variant="int8" if args.int8 else "auto") as service:
        try:
            result = service.translate(text, target=args.target, source=args.source, kind=kind, model=args.model,
                                       cancel=cancel, progress=progress)
        except KeyboardInterrupt:
            cancel.cancel()
            raise
        finally:
            if show:
                sys.stderr.write("\n")
    if args.output is not None:
        atomic_write_text(args.output, result.text)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    elif args.output is None:
        sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
    if result.detected is not None and not args.json:
        print(f"detected source language: {result.detected.language} ({result.detected.confidence:.0%})",
              file=sys.stderr)
    return 0
