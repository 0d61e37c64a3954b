"""Truncation stemming in keyword search: word forms and cognates meet, identifiers and numbers stay whole,
and a knowledge base made before the stemmed index gets one when it is opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engines.kb.api import create_kb, open_kb
from engines.kb.fusion import fuse
from engines.kb.index import KBIndex
from engines.kb.retrieval import fts_query, rare_terms
from engines.kb.stems import stem_text


def test_stem_text_cuts_words_of_letters_and_keeps_the_rest() -> None:
    assert stem_text("Irrigação por gotejamento") == "irrig por gotej"
    assert stem_text("The telescope, 1847 and REORDER_MARGIN w12x") == "the teles 1847 and reord margi w12x"
    assert stem_text(None) == ""


def test_fts_query_is_stemmed_quoted_and_free_of_fts_syntax() -> None:
    assert fts_query("Como irrigar a horta?") == '"irrig" OR "horta"'
    assert fts_query('quokka_count NEAR("x") OR *') == '"quokk count" OR "near" OR "x"'
    assert fts_query("???") == ""


def test_terms_in_over_half_the_chunks_are_left_out_unless_none_would_remain(tmp_path: Path) -> None:
    index = KBIndex(tmp_path / "kb.sqlite", create=True)
    with index.transaction():
        file_id = index.begin_file("/docs/a.txt", 1, 1, "x")
        rows = [(None, "", f"candeia manual page {i} {'gotejamento' if i == 3 else ''}") for i in range(6)]
        index.add_chunks(file_id, 0, rows, np.zeros((6, 4), dtype=np.float32))
        index.finish_file(file_id, 6)
    assert index.term_chunks(["cande", "gotej", "nada"]) == (6, {"cande": 6, "gotej": 1, "nada": 0})
    assert rare_terms(index, ["cande", "gotej", "reord margi"]) == ["gotej", "reord margi"]
    assert rare_terms(index, ["cande", "manua"]) == ["cande", "manua"]  # nothing rarer: all kept
    assert rare_terms(index, ["cande", "nada"]) == ["cande", "nada"]  # the rarer one is in no chunk
    assert rare_terms(index, ["cande"]) == ["cande"]
    index.close()


def test_numpy_bm25_gives_fts5s_rows_and_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    words = [f"{a}{b}{c}word" for a in "abcd" for b in "efgh" for c in "ijkl"]
    index = KBIndex(tmp_path / "kb.sqlite", create=True)
    with index.transaction():
        file_id = index.begin_file("/docs/a.txt", 1, 1, "x")
        rows = [(None, " ".join(rng.choice(words, 3)), " ".join(rng.choice(words, int(rng.integers(5, 400)))))
                for _ in range(300)]
        index.add_chunks(file_id, 0, rows, np.zeros((300, 4), dtype=np.float32))
        index.finish_file(file_id, 300)
    for _ in range(20):  # chunks of 5-400 words: lengths over 127 take two varint bytes
        terms = list(dict.fromkeys(str(w)[:5] for w in rng.choice(words, 4)))
        expected = index.keyword_search(fts_query(terms), 20)
        got = index.stem_search(terms, 20)
        assert [c for c, _ in got] == [c for c, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)
    index.drop_files(["/docs/a.txt"])  # a write: the chunk lengths are read again
    assert index.stem_search(["aeiwo"], 5) == index.keyword_search('"aeiwo"', 5) == []
    index.close()


def test_fuse_weights_keyword_scores_over_scaled_cosines() -> None:
    fused = dict(fuse([(1, 10.0), (2, 5.0)], [(2, 0.9), (3, 0.5)], weight=0.7))
    assert fused[1] == 0.7 and abs(fused[2] - (0.35 + 0.3)) < 1e-9 and fused[3] == 0.0
    assert fuse([], [(4, 0.8)], weight=0.7) == [(4, pytest.approx(0.3))]  # one candidate: the top of its scale


def test_word_forms_meet_and_old_knowledge_bases_get_the_stemmed_index(encoder_folder: Path, tmp_path: Path) -> None:
    (tmp_path / "guia.md").write_text("# Rega\n\nA irrigação por gotejamento economiza água.\n", encoding="utf-8")
    (tmp_path / "other.md").write_text("# Bees\n\nThe smoker burns pine needles.\n", encoding="utf-8")
    with create_kb("guia", str(encoder_folder)) as kb:
        kb.add([tmp_path])
        assert kb.search("como irrigar a horta", k=1, mode="bm25")[0].path.endswith("guia.md")
        path = Path(kb.index.path)
    with sqlite3.connect(path) as db:  # as a knowledge base made before the stemmed index
        db.executescript("DROP TRIGGER stems_ai; DROP TRIGGER stems_ad; DROP TABLE stems_fts;")
    with open_kb("guia") as kb:
        assert kb.search("irrigar", k=1, mode="bm25")[0].path.endswith("guia.md")
        kb.remove_paths([tmp_path / "guia.md"])  # deleting chunks keeps the stemmed index in step
        assert kb.search("irrigar", k=1, mode="bm25") == []
        assert kb.search("smokers", k=1, mode="bm25")[0].path.endswith("other.md")
