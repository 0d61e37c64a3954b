"""Entry point of `candeia-cli`: parse arguments, run one command, turn errors into one line."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import CandeiaError, UsageError
from . import caption_cmd, chat_cmd, hardware_cmd, info_cmd, models_cmd, translate_cmd

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candeia-cli",
        description="Candeia: chat with local models, offline.",
    )
    parser.add_argument("--version", action="version", version=f"candeia {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    caption_cmd.register(commands)
    chat_cmd.register(commands)
    info_cmd.register(commands)
    models_cmd.register(commands)
    hardware_cmd.register(commands)
    translate_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if len(args_list) == 2 and args_list[0] == "--probe-gguf":  # a frozen build probing a model file
        from ..llama.probe import run_probe_child

        return run_probe_child(args_list[1])
    parser = build_parser()
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="candeia-cli: %(levelname)s: %(message)s",
    )
    try:
        code: int = args.handler(args)
        return code
    except KeyboardInterrupt:
        print("candeia-cli: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"candeia-cli: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CandeiaError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"candeia-cli: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # last line of defence: one sentence, no traceback unless asked
        if args.debug:
            traceback.print_exc()
        print(f"candeia-cli: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    # Run the importable module, not this __main__ copy, so `from .main import UsageError` in the
    # commands names the same class that main() catches.
    from engines.cli.main import main as _main

    sys.exit(_main())
