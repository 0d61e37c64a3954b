"""Documents keep their structure; detection, encodings and routes (no model needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from engines.jobs import Cancelled, CancelToken
from engines.store.model_store import InstalledModel, ModelFormat
from engines.translate.api import run_document
from engines.translate.detect import DetectionError, detect_language
from engines.translate.documents import (
    DocumentError,
    decode_bytes,
    kind_for,
    parse_document,
    split_sentences,
)
from engines.translate.languages import ModelLanguages, normalize
from engines.translate.routes import NoRouteError, plan_route


class Upper:
    """A fake translator: upper-cases each sentence and records the calls."""

    name = "upper"

    def __init__(self, cancel_after: int | None = None, token: CancelToken | None = None) -> None:
        self.seen: list[str] = []
        self.cancel_after = cancel_after
        self.token = token

    def translate_sentences(self, sentences: Sequence[str], src: str | None, tgt: str,
                            cancel: CancelToken | None = None,
                            progress: Callable[[int, int], None] | None = None) -> list[str]:
        out = []
        for i, s in enumerate(sentences):
            if cancel is not None:
                cancel.raise_if_cancelled()
            self.seen.append(s)
            out.append(f"{s.upper()}")
            if progress:
                progress(i + 1, len(sentences))
            if self.cancel_after is not None and i + 1 == self.cancel_after and self.token:
                self.token.cancel()
        return out


MARKDOWN = """# Getting started

Install it first. Then run `candeia --help` to see the options!

- first item with [a link](https://example.org/Path_Here)
- second item
  1. nested number

> A quoted line.

```python
def keep_me():
    return "Do not translate."
```

    indented code stays

| Name | Value |
|------|-------|
| one  | two   |

---
"""


def test_markdown_keeps_structure_and_code() -> None:
    doc = parse_document(MARKDOWN, "markdown")
    assert "Install it first." in doc.sentences
    assert not any("keep_me" in s or "Do not translate" in s or "indented code" in s for s in doc.sentences)
    assert not any("candeia --help" in s or "https://" in s for s in doc.sentences)
    out, count = run_document(MARKDOWN, [(Upper(), "en", "pt")], "markdown")
    assert count == len(doc.sentences)
    lines, src_lines = out.splitlines(), MARKDOWN.splitlines()
    assert len(lines) == len(src_lines)
    assert lines[0] == "# GETTING STARTED"
    assert lines[2] == "INSTALL IT FIRST. THEN RUN `candeia --help` TO SEE THE OPTIONS!"
    assert lines[4] == "- FIRST ITEM WITH [A LINK](https://example.org/Path_Here)"
    assert lines[6] == "  1. NESTED NUMBER"
    assert lines[8] == "> A QUOTED LINE."
    code_start = src_lines.index("```python")
    assert lines[code_start:code_start + 4] == src_lines[code_start:code_start + 4]
    assert "    indented code stays" in lines
    assert "| NAME | VALUE |" in lines and "|------|-------|" in lines
    assert lines[-1] == "---"


def test_plain_text_keeps_blank_lines_and_indentation() -> None:
    text = "First paragraph. Second sentence.\n\n\n  Indented line\r\nlast line without newline"
    out, _ = run_document(text, [(Upper(), "en", "pt")], "text")
    assert out == "FIRST PARAGRAPH. SECOND SENTENCE.\n\n\n  INDENTED LINE\r\nLAST LINE WITHOUT NEWLINE"


SRT = """1
00:00:01,000 --> 00:00:03,500
Hello there,
my old friend.

2
00:00:04,000 --> 00:00:05,000
<i>Goodbye.</i>

10
00:01:00,250 --> 00:01:02,000
- Who?
- Me.
"""


def test_srt_keeps_numbers_timings_and_line_count() -> None:
    out, count = run_document(SRT, [(Upper(), "en", "pt")], "srt")
    assert count == 4
    blocks = out.strip("\n").split("\n\n")
    src_blocks = SRT.strip("\n").split("\n\n")
    assert len(blocks) == len(src_blocks)
    for got, want in zip(blocks, src_blocks, strict=True):
        g, w = got.splitlines(), want.splitlines()
        assert g[:2] == w[:2]  # number and timing untouched
        assert len(g) == len(w)  # cue re-wrapped into as many lines
    assert blocks[0].splitlines()[2:] == ["HELLO THERE,", "MY OLD FRIEND."]
    assert blocks[1].splitlines()[2] == "<i>GOODBYE.</i>"
    assert blocks[2].splitlines()[2:] == ["- WHO?", "- ME."]


def test_vtt_keeps_header_notes_and_settings() -> None:
    vtt = ("WEBVTT - a title\n\nNOTE this is a comment\n\nintro\n00:00.000 --> 00:02.000 align:start position:10%\n"
           "Welcome back.\n\n00:00:02.500 --> 00:00:04.000\nSee you soon.\n")
    assert kind_for(None, vtt) == "vtt"
    out, count = run_document(vtt, [(Upper(), "en", "pt")], "vtt")
    assert count == 2
    assert out.startswith("WEBVTT - a title\n\nNOTE this is a comment\n\nintro\n00:00.000 --> 00:02.000 align:start")
    assert "WELCOME BACK.\n" in out and "00:00:02.500 --> 00:00:04.000\nSEE YOU SOON.\n" in out


def test_subtitles_without_timings_are_refused() -> None:
    with pytest.raises(DocumentError, match="no cue timings"):
        parse_document("just some text\n", "srt")


def test_sentence_splitting() -> None:
    parts = split_sentences("Dr. Smith arrived at 3 p.m. today. Was it late? Yes!  It was 3.5 hours.")
    sentences = [s for s, _ in parts if s]
    assert sentences == ["Dr. Smith arrived at 3 p.m. today.", "Was it late?", "Yes!", "It was 3.5 hours."]
    assert "".join(s + g for s, g in parts) == "Dr. Smith arrived at 3 p.m. today. Was it late? Yes!  It was 3.5 hours."


def test_progress_over_two_hops_and_cancel() -> None:
    text = "One. Two. Three. Four."
    seen: list[tuple[int, int]] = []
    out, _ = run_document(text, [(Upper(), "pt", "en"), (Upper(), "en", "de")], "text",
                          progress=lambda d, t: seen.append((d, t)))
    assert out == "ONE. TWO. THREE. FOUR."
    assert seen[-1] == (8, 8) and all(t == 8 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    token = CancelToken()
    translator = Upper(cancel_after=2, token=token)
    with pytest.raises(Cancelled):
        run_document(text, [(translator, "en", "pt")], "text", cancel=token)
    assert len(translator.seen) == 2


def test_encodings_and_binary() -> None:
    assert decode_bytes("\ufeffolá".encode()) == "olá"
    assert decode_bytes("olá mundo".encode("utf-16")) == "olá mundo"
    latin = ("Eu não sei onde está a estação, mas já é hora de ir embora. " * 5).encode("latin-1")
    assert "estação" in decode_bytes(latin)
    with pytest.raises(DocumentError, match="empty"):
        decode_bytes(b"")
    with pytest.raises(DocumentError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_detection() -> None:
    assert detect_language("Onde fica a estação de comboios? Preciso de apanhar o próximo.").language == "pt"
    assert detect_language("Wo ist der Bahnhof? Ich muss den nächsten Zug nehmen.").language == "de"
    found = detect_language("The station is near the old bridge over the river.", ["en", "de", "pt"])
    assert found.language == "en" and 0.5 < found.confidence <= 1.0
    with pytest.raises(DetectionError, match="no letters"):
        detect_language("12345 !!! ---")


def test_language_codes() -> None:
    assert normalize("pt-BR") == "pt" and normalize("por_Latn") == "pt" and normalize("deu") == "de"
    assert normalize("EN") == "en"


def _model(model_id: str, size: int = 100) -> InstalledModel:
    return InstalledModel(id=model_id, name=model_id, format=ModelFormat.onnx, path=f"/models/{model_id}",
                          linked=True, size=size, tasks=["translate"])


def _pair(src: str, tgt: str) -> ModelLanguages:
    return ModelLanguages(sources={src}, targets={tgt})


def test_routes_direct_pivot_and_none() -> None:
    models = [(_model("pt-en"), _pair("pt", "en")), (_model("en-de"), _pair("en", "de")),
              (_model("de-en"), _pair("de", "en"))]
    direct = plan_route("de", "en", models)
    assert [h.model.id for h in direct.hops] == ["de-en"] and not direct.pivoted
    pivot = plan_route("pt-BR", "de", models)
    assert [(h.model.id, h.src, h.tgt) for h in pivot.hops] == [("pt-en", "pt", "en"), ("en-de", "en", "de")]
    assert pivot.describe() == "pt → en (pt-en) → de (en-de)"
    with pytest.raises(NoRouteError, match=r"no installed model translates de→pt .*pt-en.*en→pt"):
        plan_route("de", "pt", models)
    with pytest.raises(NoRouteError, match="not a language code"):
        plan_route("en", "qq", models)
    multi = ModelLanguages(sources={"en", "pt", "de"}, targets={"en", "pt", "de"}, any_to_any=True)
    chosen = plan_route("pt", "en", [(_model("nllb", 10**9), multi), *models])
    assert chosen.hops[0].model.id == "pt-en"  # a single-pair model wins over a multilingual one
    assert plan_route("de", "pt", [(_model("nllb", 10**9), multi), *models]).hops[0].model.id == "nllb"
