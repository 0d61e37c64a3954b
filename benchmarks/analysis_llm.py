"""Chat models as classifiers, and `analyze` over big files.

1. Grammar-constrained labels on a real GGUF chat model (default: Qwen2.5-Coder-0.5B-Instruct Q4_K_M):
   60 short reviews with a known sentiment. Reported: how many replies parse as one of the labels
   (with the grammar, and without it, where the reply must be exactly a label once trimmed and
   lower-cased), label accuracy, and the time per text and per generated token with and without the
   grammar (the grammar's cost). Confidence is the label's whole-text probability, normalised.
2. Memory over big CSVs: a child process streams N rows through the reader, the batches and the
   resumable output file with an instant fake analyzer; its peak RSS over its RSS before the run
   must not grow with N.

    .venv/bin/python benchmarks/analysis_llm.py [--model FILE.gguf] [--threads 2] [--rows 10000 100000]

Prints Markdown tables and writes JSON to bench-results/analysis_llm.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import load_average, markdown_table, peak_rss_bytes, write_json  # noqa: E402

QWEN = Path("/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
LABELS = ("positive", "negative")
POSITIVE = [
    "I love this phone, the battery lasts for days.", "Great service, the staff were friendly and quick.",
    "The food was delicious and arrived hot.", "Best purchase I made this year.",
    "The hotel room was clean and the view was stunning.", "Works perfectly, exactly as described.",
    "Fantastic sound quality for the price.", "My kids adore this game.", "Delivery was fast and the box was intact.",
    "The teacher explained everything clearly, I learned a lot.", "Comfortable shoes, I walk all day without pain.",
    "The app is simple and does what I need.", "A beautiful film with a moving story.",
    "Excellent coffee, I will come back.", "The support team solved my problem in minutes.",
    "Very happy with the quality of this jacket.", "The update made everything faster. Thank you!",
    "Wonderful little café with kind owners.", "This book kept me reading all night, brilliant.",
    "Setup took two minutes and it just works.", "Adorei o produto, chegou antes do prazo.",
    "Atendimento excelente, recomendo muito.", "Lovely garden and a relaxing atmosphere.",
    "The camera takes sharp photos even at night.", "Superb value, better than the expensive brands.",
    "Our guide was funny and knew everything about the city.", "The headphones are light and the bass is great.",
    "Clean design, solid build, no complaints at all.", "I would buy it again without thinking twice.",
    "Everything about this stay was perfect.",
]
NEGATIVE = [
    "The screen cracked after one week.", "Terrible service, we waited an hour for cold food.",
    "The package arrived broken and nobody answered my emails.", "Worst purchase I ever made.",
    "The room smelled of smoke and the sheets were dirty.", "It stopped working after two days.",
    "The sound is tinny and the volume is too low.", "Boring game, my kids quit after ten minutes.",
    "Delivery took a month and the box was crushed.", "The course was confusing and a waste of money.",
    "These shoes gave me blisters on the first day.", "The app crashes every time I open it.",
    "A dull film with a predictable plot.", "The coffee was bitter and overpriced.",
    "Support kept me on hold for two hours and hung up.", "The jacket fell apart in the first wash.",
    "The update made everything slower and buggy.", "Rude staff and a dirty table.",
    "I could not finish this book, it was painfully slow.", "Setup failed three times, I gave up.",
    "Produto horrível, quebrou no primeiro uso.", "Péssimo atendimento, nunca mais compro aqui.",
    "Noisy street and we could not sleep at all.", "The camera photos are blurry and dark.",
    "Overpriced junk, do not buy it.", "The tour guide was late and unprepared.",
    "The headphones hurt my ears and the cable broke.", "Cheap plastic, rattles when you touch it.",
    "I want a refund, this is a scam.", "Everything about this stay was a disappointment.",
]


def llm_part(model: Path, threads: int) -> tuple[list[list[Any]], dict[str, Any]]:
    from engines.analysis.llm import LLMAnalyzer, prompts
    from engines.analysis.llm.grammar import label_grammar
    from engines.analysis.llm.hosted import open_labeler
    from engines.analysis.results import AnalysisItem, AnalysisOptions, Classification

    started = time.perf_counter()
    labeler = open_labeler(model, threads=threads)
    load_s = time.perf_counter() - started
    texts = [(t, "positive") for t in POSITIVE] + [(t, "negative") for t in NEGATIVE]
    runs: dict[str, dict[str, Any]] = {}
    try:
        modes = (("grammar", label_grammar(LABELS)), ("free", ""))
        tally: dict[str, dict[str, Any]] = {
            mode: {"parsed": 0, "correct": 0, "tokens": 0, "times": []} for mode, _ in modes}
        for i, (text, gold) in enumerate(texts):
            # the two modes alternate text by text (and which goes first), so a changing load hits both alike
            for mode, grammar in modes if i % 2 == 0 else modes[::-1]:
                out = labeler.label(prompts.one_label("sentiment", LABELS), text, grammar=grammar, max_tokens=12)
                answer = out.text.strip().lower().rstrip(".")
                counts = tally[mode]
                counts["parsed"] += out.text in LABELS if mode == "grammar" else answer in LABELS
                counts["correct"] += answer == gold
                counts["tokens"] += len(out.token_logprobs)
                counts["times"].append(out.decode_ms)
        for mode, counts in tally.items():
            times = counts.pop("times")
            runs[mode] = {"texts": len(texts), **counts, "ms_per_text": statistics.mean(times),
                          "ms_per_token": sum(times) / max(1, counts["tokens"])}
        analyzer = LLMAnalyzer("sentiment", labeler)
        results = analyzer.analyze([AnalysisItem(t) for t, _ in texts], AnalysisOptions(labels=LABELS))
        confident = [r.labels[0].score for r in results if isinstance(r, Classification)]
        accuracy = sum(isinstance(r, Classification) and r.labels[0].label == gold
                       for r, (_, gold) in zip(results, texts, strict=True)) / len(texts)
    finally:
        labeler.close()
    rows = [[mode, f"{r['parsed']}/{r['texts']}", f"{r['correct'] / r['texts']:.1%}", f"{r['ms_per_text']:.0f}",
             f"{r['ms_per_token']:.1f}", r["tokens"]] for mode, r in runs.items()]
    payload = {"model": model.name, "threads": threads, "load_s": load_s, "runs": runs,
               "analyzer_accuracy": accuracy, "mean_top_score": statistics.mean(confident)}
    return rows, payload


def write_rows(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(count):
            writer.writerow([i, f"review {i}: " + ("good value, works well " if i % 2 else "broke quickly ") * 4])


def rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def memory_child(source: Path, out: Path) -> None:
    """In a child process: stream `source` through analyze into `out`; print the RSS figures as JSON."""
    from engines.analysis.output import ResultFile
    from engines.analysis.results import AnalysisOptions, Classification, LabelScore
    from engines.analysis.rows import Columns, read_rows
    from engines.analysis.run import analyze_stream

    class Instant:
        task, name = "sentiment", "instant"

        def analyze(self, items: Any, options: Any, **_: Any) -> list[Any]:
            return [Classification((LabelScore("POSITIVE", 0.9), LabelScore("NEGATIVE", 0.1))) for _ in items]

        def close(self) -> None:
            pass

    result = ResultFile(out, {"bench": str(source)})
    before = rss_now()
    started = time.perf_counter()
    count = analyze_stream(Instant(), read_rows(source, Columns()), AnalysisOptions(), on_batch=result.write)
    print(json.dumps({"rows": count, "seconds": time.perf_counter() - started, "before": before,
                      "peak": peak_rss_bytes()}))


def memory_part(sizes: list[int]) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    rows, runs = [], []
    with tempfile.TemporaryDirectory(prefix="candeia-analyze-bench-") as tmp:
        for size in sizes:
            source, out = Path(tmp) / f"rows-{size}.csv", Path(tmp) / f"out-{size}.jsonl"
            write_rows(source, size)
            done = subprocess.run([sys.executable, __file__, "--memory-child", str(source), str(out)],
                                  capture_output=True, text=True, timeout=1800, check=True)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["grown_mb"] = (run["peak"] - run["before"]) / 1e6
            run["input_mb"] = source.stat().st_size / 1e6
            runs.append(run)
            rows.append([f"{size:,}", f"{run['input_mb']:.1f}", f"{run['before'] / 1e6:.0f}",
                         f"{run['peak'] / 1e6:.0f}", f"{run['grown_mb']:.1f}", f"{size / run['seconds']:,.0f}"])
    return rows, runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=QWEN)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--memory-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    payload: dict[str, Any] = {"load_average_before": load_average()}
    if not args.skip_llm:
        rows, payload["llm"] = llm_part(args.model, args.threads)
        print(f"Grammar-constrained labels, {args.model.name}, {args.threads} threads "
              f"(accuracy through the analyzer: {payload['llm']['analyzer_accuracy']:.1%})")
        print(markdown_table(["decoding", "parsed", "accuracy", "ms/text", "ms/token", "tokens"], rows))
    rows, payload["memory"] = memory_part(args.rows)
    print("Streaming a CSV through analyze (instant fake analyzer): peak RSS over RSS before the run")
    print(markdown_table(["rows", "input MB", "RSS before MB", "peak MB", "grown MB", "rows/s"], rows))
    payload["load_average_after"] = load_average()
    print(f"JSON: {write_json('analysis_llm', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
