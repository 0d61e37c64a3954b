"""The knowledge-base evaluation set (tests/data/kb_eval) and its harness (benchmarks/kb_eval.py, kb_quality.py).

The labels must stay true to the documents, the corpus must build (PDF pages, DOCX headings), and
the metrics must score a ranking the way the docs say. The quality itself is measured by the
benchmark on real models, never here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.kb_eval import (
    EVAL_DIR,
    Passage,
    Question,
    answers,
    build_corpus,
    fold,
    load_questions,
    pdf_bytes,
    score,
    split_pages,
)
from benchmarks.kb_quality import MODES, PT_DOCS, direction, evaluate, table


def source_text(file: str) -> str:
    if file == "telescope.pdf":
        return (EVAL_DIR / "sources" / "telescope.txt").read_text(encoding="utf-8")
    if file == "cooperativa.docx":
        return (EVAL_DIR / "sources" / "cooperativa.md").read_text(encoding="utf-8")
    return (EVAL_DIR / "docs" / file).read_text(encoding="utf-8")


def test_the_set_is_large_bilingual_and_crosses_languages_both_ways() -> None:
    questions = load_questions()
    assert len(questions) >= 100
    assert len({q.id for q in questions}) == len(questions), "ids are unique"
    directions = Counter(direction(q) for q in questions)
    assert set(directions) == {"en→en", "pt→pt", "pt→en", "en→pt"} and min(directions.values()) >= 10
    files = {q.file for q in questions}
    assert {"telescope.pdf", "cooperativa.docx", "solar_system.html", "inventory.py", "beekeeping.txt"} <= files
    assert files >= PT_DOCS


def test_every_label_is_true_to_its_document() -> None:
    for question in load_questions():
        text = source_text(question.file)
        assert fold(question.span) in fold(text), f"{question.id}: span not in {question.file}"
        if question.heading:
            assert re.search(rf"^#+ {re.escape(question.heading)}$|<h\d>{re.escape(question.heading)}</h\d>",
                             text, re.MULTILINE), f"{question.id}: no heading {question.heading!r}"
            section = _section(text, question.heading)
            assert fold(question.span) in fold(section), f"{question.id}: span is not under its heading"
        if question.page is not None:
            page = split_pages(text)[question.page - 1]
            assert fold(question.span) in fold(page), f"{question.id}: span is not on page {question.page}"


def _section(text: str, heading: str) -> str:
    """The text from `heading` to the next heading of any level."""
    start = re.search(rf"^#+ {re.escape(heading)}$|<h\d>{re.escape(heading)}</h\d>", text, re.MULTILINE)
    assert start is not None
    rest = text[start.end():]
    end = re.search(r"^#+ |<h\d>", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def test_corpus_builds_with_a_paged_pdf_and_a_docx(tmp_path: Path) -> None:
    corpus = build_corpus(tmp_path / "corpus", distractors=False)
    names = {p.name for p in corpus.iterdir()}
    assert {q.file for q in load_questions()} <= names
    pdf = (corpus / "telescope.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page ") == 4 and b"/Count 4" in pdf
    docx = pytest.importorskip("docx")
    document = docx.Document(str(corpus / "cooperativa.docx"))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings[:3] == ["Regimento da Cooperativa de Produtores do Vale Verde", "Dos Associados",
                            "Da Assembleia Geral"]


def test_pdf_writer_escapes_text_and_points_the_xref_at_each_object() -> None:
    pdf = pdf_bytes(["a (b) c\\d"])
    assert b"(a \\(b\\) c\\\\d) Tj" in pdf
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    offsets = [int(line[:10]) for line in pdf[xref:].split(b"\n") if line.endswith(b" n ")]
    assert len(offsets) == 5  # catalog, page tree, font, one content stream, one page
    for number, offset in enumerate(offsets, 1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)


Q = Question("x-01", "en", "How often?", "lighthouse.md", "two blasts every sixty seconds", heading="Fog Signal")
P = Question("x-02", "pt", "Onde?", "telescope.pdf", "near the terminator", page=3)


def test_a_passage_answers_by_span_else_by_heading_or_page() -> None:
    spanned = "It sounds TWO blasts\nevery sixty seconds."
    assert answers(Q, Passage("/c/lighthouse.md", None, "Manual > Fog Signal", spanned))
    assert answers(Q, Passage("/c/lighthouse.md", None, "Manual > Fog Signal", "the first half of a cut span"))
    assert not answers(Q, Passage("/c/lighthouse.md", None, "Manual > Daily Routine", "unrelated"))
    assert not answers(Q, Passage("/c/other.md", None, "Fog Signal", "two blasts every sixty seconds"))
    assert answers(P, Passage("/c/telescope.pdf", 3, "", "craters"))
    assert not answers(P, Passage("/c/telescope.pdf", 2, "", "craters"))


def test_scores_count_the_first_answering_passage() -> None:
    hit = Passage("/c/lighthouse.md", None, "Fog Signal", "two blasts every sixty seconds")
    miss = Passage("/c/sourdough.md", None, "Baking", "bread")
    rankings = [[hit], [miss] * 6 + [hit], [miss] * 10]
    result = score([Q, Q, Q], rankings)
    assert result["recall@5"] == pytest.approx(1 / 3)
    assert result["recall@10"] == pytest.approx(2 / 3)
    assert result["ndcg@10"] == pytest.approx((1 + 1 / math.log2(8)) / 3)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 7) / 3)


def test_evaluate_scores_each_mode_and_language_direction() -> None:
    """The harness end to end on a search that only knows the labels (the right passage first for
    BM25, last for vectors): the scores must come out 1.0 and 0.0, split by direction."""
    questions = load_questions()
    by_question = {q.question: q for q in questions}

    def search(question: str, mode: str, rerank: bool) -> list[Passage]:
        q = by_question[question]
        right = Passage(f"/c/{q.file}", q.page, q.heading, q.span)
        wrong = [Passage("/c/nothing.txt", None, "", "nothing")] * 10
        return [right, *wrong] if mode == "bm25" else wrong

    results = evaluate(questions, search, ["BM25", "vectors"])
    assert results["BM25"]["scores"]["all"]["recall@5"] == 1.0
    assert results["BM25"]["scores"]["pt→en"]["ndcg@10"] == 1.0
    assert results["vectors"]["scores"]["all"]["recall@5"] == 0.0
    counted = sum(results["BM25"]["scores"][d]["questions"] for d in ("en→en", "pt→pt", "pt→en", "en→pt"))
    assert counted == len(questions)
    halves = [results["BM25"]["scores"][h]["questions"] for h in ("tuning half", "held-out half")]
    assert sum(halves) == len(questions) and abs(halves[0] - halves[1]) <= 4  # every other question per direction
    rendered = table(results)
    assert rendered.splitlines()[0].startswith("| retrieval | recall@5 | nDCG@10 | recall@10 | recall@5 en→en")
    assert "| BM25 | 1.000 | 1.000 | 1.000 |" in rendered
    assert "| 1.000 / 1.000 / 1.000 | 1.000 / 1.000 / 1.000 |" in rendered
    assert set(MODES) == {"BM25", "vectors", "hybrid", "hybrid + reranker"}


def test_quality_harness_runs_on_a_real_knowledge_base(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The whole benchmark path on the real core with a tiny random encoder: every document indexes
    (the PDF with its pages), every mode answers, and BM25, which needs no trained model, finds
    most English answers in English documents."""
    pytest.importorskip("torch")
    pytest.importorskip("optimum.exporters.onnx")
    from tiny_encoders import cached_encoder

    from benchmarks.kb_quality import run

    encoder = cached_encoder(tmp_path_factory.getbasetemp())
    result = run(str(encoder), None, tmp_path, None)
    assert result["questions"] >= 100
    files = result["indexing"]["files"]
    assert set(files.values()) == {"indexed"} and {q.file for q in load_questions()} <= set(files)
    assert "README.md" in files, "the distractors are indexed too"
    assert set(result["results"]) == {"BM25", "vectors", "hybrid"}
    assert result["results"]["BM25"]["scores"]["en→en"]["recall@5"] >= 0.6
    for row in result["results"].values():
        assert 0.0 <= row["scores"]["all"]["ndcg@10"] <= 1.0 and row["ms_per_query"] > 0

    from engines.kb.api import open_kb

    with open_kb("eval") as kb:
        hits = kb.search("Sigma Octantis polar align", k=1, mode="bm25")
    assert hits and hits[0].path.endswith("telescope.pdf") and hits[0].page == 2
