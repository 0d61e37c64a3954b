"""Entry point of `candeia-cli`: parse arguments, run one command, turn errors into one line.

A command's module is imported only when that command runs (or shows its own help): between them
they pull in llama.cpp's engine, pydantic, jinja2 and the downloader, which `candeia-cli --help`,
`--version` and every other command do without.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import traceback
from collections.abc import Iterable, Sequence
from types import ModuleType

from engines import __version__
from engines.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE
from engines.errors import CandeiaError, UsageError

# Each command and its one-line help, shown by `candeia-cli --help` without importing the command
# (tests/test_cli.py checks these match the help each module registers).
COMMANDS = {
    "analyze": "label texts: sentiment, topics, entities, answers",
    "caption": "caption images or folders of images",
    "chat": "chat with a GGUF model",
    "embed": "turn texts into embedding vectors",
    "imagine": "make images from a prompt with a Stable Diffusion model",
    "info": "show a model's metadata without loading it",
    "kb": "knowledge bases: index your documents and ask them",
    "models": "the catalog, downloads, and installed models",
    "hardware": "CPU, memory, GPUs and accelerators Candeia can use",
    "serve": "serve installed models to other programs (OpenAI-compatible API)",
    "translate": "translate text, Markdown or subtitles",
}


def command_module(name: str) -> ModuleType:
    """Import one command's module. Plain imports, so PyInstaller's analysis still finds every one."""
    if name == "analyze":
        from engines.cli import analyze_cmd

        return analyze_cmd
    if name == "caption":
        from engines.cli import caption_cmd

        return caption_cmd
    if name == "chat":
        from engines.cli import chat_cmd

        return chat_cmd
    if name == "embed":
        from engines.cli import embed_cmd

        return embed_cmd
    if name == "imagine":
        from engines.cli import imagine_cmd

        return imagine_cmd
    if name == "kb":
        from engines.cli import kb_cmd

        return kb_cmd
    if name == "info":
        from engines.cli import info_cmd

        return info_cmd
    if name == "models":
        from engines.cli import models_cmd

        return models_cmd
    if name == "hardware":
        from engines.cli import hardware_cmd

        return hardware_cmd
    if name == "serve":
        from engines.cli import serve_cmd

        return serve_cmd
    if name == "translate":
        from engines.cli import translate_cmd

        return translate_cmd
    raise KeyError(name)


def build_parser(load: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the full arguments of the commands in `load` (every command when None);
    the others are listed with their help only."""
    loaded = set(COMMANDS if load is None else load)
    parser = argparse.ArgumentParser(
        prog="candeia-cli",
        description="Candeia: chat with local models, offline.",
    )
    parser.add_argument("--version", action="version", version=f"candeia {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, summary in COMMANDS.items():
        if name in loaded:
            command_module(name).register(commands)
        else:
            commands.add_parser(name, help=summary)
    return parser


def chosen_command(args: Sequence[str]) -> str | None:
    """The command named on the command line: the first word that is not an option (the top-level
    options take no values), if it is a command."""
    word = next((a for a in args if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--engine-host"]:  # a frozen build's engine host process (engines/cli/engine_host.py)
        from engines.cli.engine_host import main as host_main

        return host_main()
    if args_list == ["--image-host"]:  # a frozen build's image host process (engines/cli/image_host.py)
        from engines.cli.image_host import main as image_host_main

        return image_host_main()
    command = chosen_command(args_list)
    parser = build_parser([command] if command else [])
    args = parser.parse_args(args_list)
    crash_log = None
    if argv is None:  # the program itself, not main() called with arguments from Python (tests)
        from engines.system import crashlog

        # after parsing: --help and --version write nothing; an engine host above reports its own deaths
        crash_log = crashlog.install("candeia-cli")
        from engines import applog

        applog.install("candeia-cli")
    level = logging.DEBUG if args.debug else logging.WARNING
    logging.basicConfig(level=level, format="candeia-cli: %(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)  # the log file takes INFO from the core; the terminal keeps to warnings
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
        where = ""
        if crash_log is not None:  # a bug, not a user's mistake: keep its traceback for a report
            from engines.system.crashlog import write_crash

            with contextlib.suppress(OSError):
                log = write_crash("candeia-cli: unexpected error", type(exc), exc, exc.__traceback__)
                where = f"; the traceback is in {log}"
        print(f"candeia-cli: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details{where})",
              file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    # Run the importable module, not this __main__ copy, so `from .main import UsageError` in the
    # commands names the same class that main() catches.
    from engines.cli.main import main as _main

    sys.exit(_main())
