"""Reading a document takes time linear in its size, whatever its lines hold (issue 15, finding 7).

One Markdown line of 3,000 spaces took 35 s (a cubic regex). Each document runs in a child
process with a deadline: the regex engine does not stop for pytest's timeout signal, so a
regression fails here instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

N = 100_000  # characters on the one long line

_CHILD = textwrap.dedent(
    """
    import random, sys, time
    from engines.translate.documents import parse_document

    N = int(sys.argv[1])
    rng = random.Random(15)
    mixed = "".join(rng.choice(" \\t#") for _ in range(N))
    lines = {
        "spaces, tabs and #": "x" + mixed + "x",
        "heading of spaces, tabs and #": "# x" + mixed,
        "spaces then #": "x" + " " * N + "#" * 10 + " x",
        "quote markers": ">" + " " * N + "> x" + " \\t" * 10,
        "list marker": "- " + " \\t" * (N // 2) + "x",
        "unclosed link targets": "](" * (N // 2),
        "unclosed titles": '](x "' * (N // 5),
        "unclosed tags": "<" * N,
        "table separators": "|--|" * (N // 4) + "x",
        "table of spaces": "|" + " " * N + "x",
        "dots": "a" + "." * N + "x",
        "abbreviations": "e.g. " * (N // 5),
        "backticks": "`a" * (N // 2),
    }
    worst = 0.0
    for name, line in lines.items():
        for kind, text in (("markdown", "A paragraph.\\n" + line + "\\n"), ("text", line)):
            start = time.perf_counter()
            doc = parse_document(text, kind)
            assert doc.render(doc.sentences) == text, (name, kind)
            worst = max(worst, time.perf_counter() - start)
    cue = "1\\n00:00:01,000 --> 00:00:02,000\\n" + mixed + "\\n"
    for kind, text in (("srt", cue), ("vtt", "WEBVTT\\n\\n" + cue.replace(",", "."))):
        doc = parse_document(text, kind)
        assert len(doc.render(doc.sentences)) >= N, kind
    print(f"worst {worst:.3f}s")
    """
)


@pytest.mark.timeout(120)
def test_one_long_line_of_spaces_tabs_and_hashes_reads_fast() -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, str(N)], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("reading a document with one 100 KB line took over 60 s (a regex backtracks)")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("worst ")
