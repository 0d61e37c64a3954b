"""`candeia-cli analyze`: sentiment, topics, zero-shot labels, entities and answers, over texts or a file.

Results stream as each batch ends. With `-o OUT` the file is written batch by batch with a
progress mark beside it (engines/analysis/output.py): Ctrl-C or a kill leaves it consistent, and
the same command run again continues after the last row it holds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engines.analysis.results import AnalysisOptions
from engines.cli import EXIT_SOME_FAILED
from engines.errors import UsageError

TASK_HELP = {
    "sentiment": "positive, negative (or your --labels) for each text",
    "classify": "the model's own classes, or your --labels with a chat model",
    "zero-shot": "your --labels, with an NLI model or a chat model",
    "entities": "names, places, organisations and their positions in the text",
    "qa": "the answer to --question found in each text",
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "analyze", help="label texts: sentiment, topics, entities, answers",
        description="Analyse TEXTs, or every row of a .csv, .jsonl or .txt file (-i), with an analysis "
        "model or any GGUF chat model (sentiment, classify and zero-shot with --labels).")
    tasks = parser.add_subparsers(dest="task", metavar="TASK")
    tasks.required = True
    for task, summary in TASK_HELP.items():
        add_arguments(tasks.add_parser(task, help=summary, description=summary))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("texts", nargs="*", metavar="TEXT")
    parser.add_argument("-m", "--model", required=True, help="installed model id, ONNX folder or .gguf file")
    parser.add_argument("-i", "--input", type=Path, help="a .csv, .jsonl or .txt file (one text per line)")
    parser.add_argument("--column", help="the CSV column or JSON key holding the text (default: text)")
    parser.add_argument("--question-column", help="qa: the column holding each row's question")
    parser.add_argument("--question", help="qa: one question for every text")
    parser.add_argument("--labels", help="comma-separated labels (zero-shot, and chat models)")
    parser.add_argument("--multi-label", action="store_true", help="score every label on its own")
    parser.add_argument("--schema", type=Path, help="chat models: a JSON schema file the reply must fit")
    parser.add_argument("--json", action="store_true", help="print one JSON object per text")
    parser.add_argument("-o", "--output", type=Path, help="write a .csv or .jsonl file (resumable)")
    parser.add_argument("--batch", type=int, default=32, help="texts per batch (default 32)")
    parser.add_argument("--int8", action="store_true",
                        help="ONNX models: run the int8 graph (derived once when the folder has none)")
    parser.add_argument("--threads", type=int)
    parser.set_defaults(handler=run)


def options_from(args: argparse.Namespace) -> AnalysisOptions:
    labels = tuple(label.strip() for label in (args.labels or "").split(",") if label.strip())
    if args.task == "zero-shot" and not labels:
        raise UsageError("zero-shot needs --labels, for example --labels sport,politics,science")
    extra: dict[str, str] = {}
    if args.schema is not None:
        try:
            extra["json_schema"] = args.schema.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.schema}: cannot be read ({exc.strerror})") from None
    return AnalysisOptions(labels=labels, multi_label=args.multi_label, extra=extra)


def check(args: argparse.Namespace) -> None:
    if args.input is None and not args.texts:
        raise UsageError("give a TEXT or an input file with -i")
    if args.input is not None and args.texts:
        raise UsageError("give TEXTs or -i FILE, not both")
    if args.task == "qa" and args.question is None and args.question_column is None:
        raise UsageError("qa needs --question, or --question-column with -i")
    if args.question is not None and args.question_column is not None:
        raise UsageError("give --question or --question-column, not both")
    if args.batch < 1 or (args.threads is not None and args.threads < 1):
        raise UsageError("--batch and --threads must be at least 1")


def run(args: argparse.Namespace) -> int:
    from engines.analysis.open import open_analyzer
    from engines.cli.analyze_run import AnalyzeRun

    check(args)
    options = options_from(args)
    analyzer = open_analyzer(args.task, args.model, threads=args.threads,
                             variant="quantized" if args.int8 else "auto")
    try:
        failed = AnalyzeRun(args, analyzer, options).run()
    finally:
        analyzer.close()
    return EXIT_SOME_FAILED if failed else 0
