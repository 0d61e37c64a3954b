"""What the model commands' argument parsers share: the subcommand with its `-m/--model` option."""

from __future__ import annotations

import argparse
from typing import Any


def model_command(commands: Any, name: str, *, summary: str, description: str, model_help: str,
                  required: bool = True) -> argparse.ArgumentParser:
    """The `name` subcommand of `commands` (argparse's subparsers) with `-m/--model` as its first option."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=summary, description=description)
    parser.add_argument("-m", "--model", required=required, help=model_help)
    return parser
