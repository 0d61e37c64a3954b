"""What each `candeia-cli kb` subcommand does (kb_cmd.py parses the arguments)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from engines.cli.kb_cmd import EXIT_INTERRUPTED, EXIT_SOME_FAILED, ctrl_c_cancels, print_json, say
from engines.kb.api import (
    Answer,
    AnswerDelta,
    AnswerEvent,
    IndexProgress,
    IndexReport,
    KBStatus,
    create_kb,
    list_kbs,
    open_kb,
    remove_kb,
)


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.0f} KB"


def run_create(args: argparse.Namespace) -> int:
    with create_kb(args.name, args.model) as kb:
        status = kb.status()
    say(f"created knowledge base '{status.name}' (embedding model {status.embed_model}); "
        f"add documents with: candeia-cli kb add {status.name} PATH")
    return 0


def _progress(event: IndexProgress) -> None:
    if sys.stderr.isatty() and event.current:
        sys.stderr.write(f"\r[{event.files_done}/{event.files_total}] {event.chunks_done} chunks\x1b[K")
        sys.stderr.flush()


def _print_report(report: IndexReport, as_json: bool) -> int:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    for outcome in report.files:
        if as_json:
            print_json({"path": outcome.path, "status": outcome.status, "chunks": outcome.chunks,
                        "reason": outcome.reason})
        elif outcome.status in ("failed", "skipped"):
            print(f"{outcome.status}: {outcome.path}: {outcome.reason}")
        elif outcome.status != "unchanged":
            print(f"{outcome.status}: {outcome.path}" + (f" ({outcome.chunks} chunks)" if outcome.chunks else ""))
    say(f"{report.count('indexed')} indexed, {report.count('unchanged')} unchanged, "
        f"{report.count('removed')} removed, {report.count('skipped')} skipped, {report.count('failed')} failed "
        f"({report.chunks} new chunks in {report.seconds:.1f} s)")
    if report.cancelled:
        say("stopped: the files listed above are indexed; run the same command again to go on")
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if report.count("failed") else 0


def run_add(args: argparse.Namespace) -> int:
    with open_kb(args.name) as kb, ctrl_c_cancels() as cancel:
        kb.threads = args.threads
        return _print_report(kb.add(args.paths, progress=_progress, cancel=cancel), args.json)


def run_rescan(args: argparse.Namespace) -> int:
    with open_kb(args.name) as kb, ctrl_c_cancels() as cancel:
        kb.threads = args.threads
        return _print_report(kb.rescan(progress=_progress, cancel=cancel), args.json)


def _status_dict(status: KBStatus) -> dict[str, object]:
    return {"name": status.name, "path": status.path, "embed_model": status.embed_model,
            "dimensions": status.dimensions, "files": status.files, "chunks": status.chunks,
            "bytes": status.bytes, "roots": list(status.roots)}


def run_list(args: argparse.Namespace) -> int:
    statuses = list_kbs()
    if args.json:
        print_json([_status_dict(s) for s in statuses])
    elif not statuses:
        say("no knowledge bases yet; make one with: candeia-cli kb create NAME")
    for status in [] if args.json else statuses:
        print(f"{status.name}\t{status.files} files\t{status.chunks} chunks\t{_size(status.bytes)}\t"
              f"{status.embed_model}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    remove_kb(args.name)
    say(f"removed knowledge base '{args.name}' (the documents themselves are untouched)")
    return 0


def run_status(args: argparse.Namespace) -> int:
    with open_kb(args.name) as kb:
        status = kb.status()
        problems = [(p, e) for p, _, e in kb.files() if e]
    if args.json:
        print_json({**_status_dict(status), "problems": [{"path": p, "reason": e} for p, e in problems]})
        return 0
    print(f"{status.name}: {status.files} files, {status.chunks} chunks, {_size(status.bytes)}")
    print(f"embedding model: {status.embed_model} ({status.dimensions or '?'} dimensions)")
    for root in status.roots:
        print(f"folder or file: {root}")
    for path, reason in problems:
        print(f"not indexed: {path}: {reason}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    with open_kb(args.name) as kb:
        kb.threads = args.threads
        hits = kb.search(args.question, k=args.k, mode=args.mode, rerank=args.rerank, reranker=args.reranker)
    if args.json:
        print_json([{"chunk_id": h.chunk_id, **h.as_source()} for h in hits])
    for number, hit in enumerate([] if args.json else hits, start=1):
        where = hit.path + (f", page {hit.page}" if hit.page else "") + (f" ({hit.heading})" if hit.heading else "")
        print(f"[{number}] {where}  score {hit.score:.4f}\n    {' '.join(hit.text.split())[:300]}")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from engines.host.open_model import load_options_from, open_chat_model
    from engines.kb.ask import answer_stream
    from engines.llama.sampling import SamplingOptions
    from engines.settings import load_settings

    with open_kb(args.name) as kb:
        kb.threads = args.threads
        engine = open_chat_model(_chat_model(args.model), load_options_from(load_settings(), threads=args.threads))
        try:
            with ctrl_c_cancels() as cancel:
                sampling = SamplingOptions(temperature=0.2, max_tokens=args.max_tokens)
                final = _stream(answer_stream(kb, args.question, engine, k=args.k, mode=args.mode,
                                              rerank=args.rerank, sampling=sampling, cancel=cancel), args.json)
        finally:
            engine.close()
    if args.json:
        print_json(final.as_dict())
    elif final.sources:
        print("\nSources:")
        for number, hit in enumerate(final.sources, start=1):
            print(f"[{number}] {hit.path}" + (f", page {hit.page}" if hit.page else "") +
                  (f" — {hit.heading}" if hit.heading else ""))
    return EXIT_INTERRUPTED if cancel.cancelled else 0


def _stream(events: Iterator[AnswerEvent], as_json: bool) -> Answer:
    final: Answer | None = None
    for event in events:
        if isinstance(event, AnswerDelta):
            if not as_json:
                sys.stdout.write(event.text)
                sys.stdout.flush()
        elif isinstance(event, Answer):
            final = event
            if not as_json and not event.found:
                print(event.answer)
    assert final is not None
    if not as_json and final.found:
        print()
    return final


def _chat_model(ref: str | None) -> str:
    if ref:
        return ref
    from engines.errors import UsageError
    from engines.store.model_store import ModelStore

    for model in ModelStore().installed():
        if "chat" in model.tasks:
            return model.id
    raise UsageError("no chat model is installed: pass one with -m (an installed id or a .gguf file)")


