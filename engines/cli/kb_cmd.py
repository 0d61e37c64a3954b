"""`candeia-cli kb`: create, fill, inspect, search and ask knowledge bases."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engines.errors import UsageError
from engines.jobs import CancelToken

EXIT_SOME_FAILED = 1
EXIT_INTERRUPTED = 130


def register(commands: Any) -> None:
    parser = commands.add_parser("kb", help="knowledge bases: index your documents and ask them",
                                 description="Index documents (PDF, Word, Markdown, text, HTML, source code) into "
                                 "a knowledge base and ask it questions answered with citations.")
    sub = parser.add_subparsers(dest="kb_command", metavar="SUBCOMMAND")
    sub.required = True
    create = sub.add_parser("create", help="make an empty knowledge base")
    create.add_argument("name")
    create.add_argument("-m", "--model", help="embedding model: installed id, ONNX folder or .gguf "
                        "(default: an installed one, multilingual first)")
    add = sub.add_parser("add", help="index files and folders (again: only what changed)")
    add.add_argument("name")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add.add_argument("--json", action="store_true", help="print one JSON object per file")
    rescan = sub.add_parser("rescan", help="re-read every folder added: index changes, drop deleted files")
    rescan.add_argument("name")
    rescan.add_argument("--json", action="store_true", help="print one JSON object per file")
    listing = sub.add_parser("list", help="the knowledge bases and their sizes")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="delete a knowledge base's index (never the documents)")
    remove.add_argument("name")
    status = sub.add_parser("status", help="files, chunks, model and the files that could not be read")
    status.add_argument("name")
    status.add_argument("--json", action="store_true")
    search = sub.add_parser("search", help="the passages that best match a query (no chat model)")
    ask = sub.add_parser("ask", help="answer a question from the documents, with numbered citations")
    for command in (search, ask):
        command.add_argument("name")
        command.add_argument("question")
        command.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
        command.add_argument("--mode", choices=["hybrid", "bm25", "vector"], default="hybrid")
        command.add_argument("--rerank", action="store_true", help="re-order passages with a cross-encoder")
        command.add_argument("--reranker", help="cross-encoder to use (installed id or ONNX folder)")
        command.add_argument("--json", action="store_true")
    ask.add_argument("-m", "--model", help="chat model: installed id or .gguf path (default: an installed one)")
    ask.add_argument("--max-tokens", type=int, default=512)
    for command in (add, rescan, search, ask):
        command.add_argument("--threads", type=int)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engines.cli import kb_run

    if getattr(args, "threads", None) is not None and args.threads < 1:
        raise UsageError("--threads must be at least 1")
    if getattr(args, "k", 5) < 1:
        raise UsageError("-k must be at least 1")
    handler = getattr(kb_run, f"run_{args.kb_command}")
    code: int = handler(args)
    return code


@contextmanager
def ctrl_c_cancels() -> Iterator[CancelToken]:
    """Ctrl-C stops the run at the next step (the files done so far stay indexed)."""
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def say(text: str) -> None:
    print(text, file=sys.stderr)


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False))
