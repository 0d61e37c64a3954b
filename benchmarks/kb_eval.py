"""The knowledge-base evaluation set (tests/data/kb_eval): build its corpus, load its questions, score rankings.

The corpus is the committed `docs/` folder, Candeia's own README and docs/*.md as distractors
(unlabelled), plus two files made here so that no binary is committed:
`telescope.pdf` (one page per `=== page N ===` block, written by a small PDF writer with the
standard Helvetica font) and `cooperativa.docx` (python-docx, `#`/`##` lines as Word headings).

A retrieved passage answers a question when it comes from the labelled file and holds the labelled
span (case and whitespace folded), or, when the chunker cut the span in two, sits under the labelled
heading or on the labelled page. recall@k counts questions with an answering passage in the top k;
nDCG@10 scores the first answering passage only (one gold passage per question: 1/log2(rank + 1)).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.testing.tiny_pdf import pdf_bytes

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "tests" / "data" / "kb_eval"
DOC_NAME = "knowledge-base.md"
PAGE_MARK = re.compile(r"^=== page (\d+) ===$", re.MULTILINE)


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    question: str
    file: str
    span: str
    heading: str = ""
    page: int | None = None


@dataclass(frozen=True)
class Passage:
    """The part of a retrieved hit that scoring looks at (engines.kb.api.Hit has these fields)."""

    path: str
    page: int | None
    heading: str
    text: str


def fold(text: str) -> str:
    return " ".join(text.lower().split())


def load_questions(eval_dir: Path = EVAL_DIR) -> list[Question]:
    lines = (eval_dir / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [Question(**json.loads(line)) for line in lines if line.strip()]


def answers(question: Question, passage: Passage) -> bool:
    if Path(passage.path).name != question.file:
        return False
    if fold(question.span) in fold(passage.text):
        return True
    if question.page is not None:
        return passage.page == question.page
    if question.heading:
        return fold(passage.heading.split(">")[-1]) == fold(question.heading)
    return False


def first_answer_rank(question: Question, ranked: Sequence[Passage]) -> int | None:
    """1-based rank of the first passage that answers, or None."""
    for rank, passage in enumerate(ranked, 1):
        if answers(question, passage):
            return rank
    return None


def score(questions: Sequence[Question], rankings: Sequence[Sequence[Passage]]) -> dict[str, float]:
    """recall@5, recall@10, nDCG@10 and MRR@10 over the questions (rankings in the same order)."""
    ranks = [first_answer_rank(q, r[:10]) for q, r in zip(questions, rankings, strict=True)]
    n = max(1, len(ranks))
    return {
        "recall@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "recall@10": sum(1 for r in ranks if r is not None) / n,
        "ndcg@10": sum(1 / math.log2(r + 1) for r in ranks if r is not None) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None) / n,
    }


# -- the corpus ------------------------------------------------------------------------------------
def build_corpus(target: Path, eval_dir: Path = EVAL_DIR, distractors: bool = True) -> Path:
    """Copy the committed documents into `target` and make the PDF and DOCX beside them. With
    `distractors`, Candeia's own README and docs/*.md go in too (under `distractors/`, no question
    points at them): a few hundred passages of unrelated technical text, so a question's answer has
    to be found among many, as in a real knowledge base, not among five passages per document."""
    target.mkdir(parents=True, exist_ok=True)
    if distractors:
        (target / "distractors").mkdir(exist_ok=True)
        # not docs/knowledge-base.md: it quotes the evaluation's own answers
        for source in [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != DOC_NAME)]:
            shutil.copyfile(source, target / "distractors" / source.name)
    for source in sorted((eval_dir / "docs").iterdir()):
        shutil.copyfile(source, target / source.name)
    pages = split_pages((eval_dir / "sources" / "telescope.txt").read_text(encoding="utf-8"))
    (target / "telescope.pdf").write_bytes(pdf_bytes(pages))
    write_docx((eval_dir / "sources" / "cooperativa.md").read_text(encoding="utf-8"), target / "cooperativa.docx")
    return target


def split_pages(text: str) -> list[str]:
    parts = PAGE_MARK.split(text)
    return [parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)]


def write_docx(markdown: str, target: Path) -> None:
    import docx  # python-docx: the knowledge base's own DOCX reader needs it too

    document: Any = docx.Document()
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            document.add_paragraph(" ".join(paragraph))
            paragraph.clear()

    for line in markdown.splitlines():
        heading = re.match(r"^(#+) (.*)$", line)
        if heading:
            flush()
            document.add_heading(heading.group(2), level=len(heading.group(1)))
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
    flush()
    document.save(str(target))
