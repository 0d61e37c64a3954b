"""Marian models whose only tokenizer file is `tokenizer.json` (Xenova's int8 opus-mt exports), against
transformers' MarianTokenizer and generate() on the same tiny random weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from test_translate_engine import CASES, TEXTS, _load_reference, _reference
from tiny_seq2seq import build_marian, cached, json_only_marian, marian_tokenizer_json

from engines.errors import InvalidModelFileError
from engines.translate.engine import DecodeOptions, Seq2SeqEngine
from engines.translate.marian_json import MarianJsonTokenizer
from engines.translate.routes import folder_languages

# text that exercises SentencePiece's nmt_nfkc normalization, spaces and characters outside the vocabulary
HARD_TEXTS = [
    "  Hello   world,\tthis is\u00a0a test.  ",
    "ｆｕｌｌｗｉｄｔｈ ＨＥＬＬＯ and the ﬁ ligature",
    "Olá, estação! Où est la gare? Guten Morgen, Straße.",
    "emoji 😀😀 and 中文 are unknown here",
    ">>de<< Hello world",
    "",
]


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A Marian whose source and target share one SentencePiece model, in Xenova's layout."""
    base = tmp_path_factory.getbasetemp()
    ckpt, onnx_dir = cached(base, "marian-shared", lambda root: build_marian(root, shared_spm=True))
    folder = base / "seq2seq-cache" / "marian-shared-json"
    if not folder.exists():
        json_only_marian(onnx_dir, ckpt, folder)
    return ckpt, folder


@pytest.fixture(scope="session")
def separate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The usual tiny Marian (separate source and target models), its tokenizer.json with the charsmap kept."""
    base = tmp_path_factory.getbasetemp()
    ckpt, onnx_dir = cached(base, "marian", build_marian)
    folder = base / "seq2seq-cache" / "marian-separate-json"
    if not folder.exists():
        json_only_marian(onnx_dir, ckpt, folder, keep_charsmap=True)
    return ckpt, folder


def test_ids_are_marian_tokenizers(shared: tuple[Path, Path]) -> None:
    ckpt, folder = shared
    assert not (folder / "source.spm").exists() and not (folder / "vocab.json").exists()
    tok, _ = _load_reference(ckpt)
    engine = Seq2SeqEngine(folder)
    assert isinstance(engine.tokenizer, MarianJsonTokenizer)
    for text in TEXTS + HARD_TEXTS:
        assert engine.encode(text, None, None) == tok(text).input_ids, text
    assert tok.unk_token_id in engine.encode(HARD_TEXTS[3], None, None)  # unknown characters are <unk>


@pytest.mark.parametrize("kwargs", CASES[:3])
def test_translation_matches_transformers(shared: tuple[Path, Path], kwargs: dict[str, Any]) -> None:
    ckpt, folder = shared
    ref_inputs, ref_out = _reference(ckpt, TEXTS, **kwargs)
    engine = Seq2SeqEngine(folder)
    inputs = [engine.encode(t, None, None) for t in TEXTS]
    assert inputs == ref_inputs
    ours = engine.generate_ids(inputs, engine.settings_for(None, DecodeOptions(**kwargs)))
    assert ours == ref_out
    tok, _ = _load_reference(ckpt)
    assert [engine.tokenizer.decode(ids) for ids in ours] == tok.batch_decode(ref_out, skip_special_tokens=True)


def test_split_is_the_files_own_with_separate_vocabularies(separate: tuple[Path, Path]) -> None:
    """With two SentencePiece models the file keeps the higher score of each piece: the split is then the
    one the tokenizers library (and transformers.js) make from the same file."""
    from tokenizers import Tokenizer

    _, folder = separate
    reference = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer = MarianJsonTokenizer(folder, {})
    for text in TEXTS + HARD_TEXTS[:3]:
        assert tokenizer.encode(text) == reference.encode(text).ids, text


def test_multi_target_tokens_come_from_the_vocabulary(shared: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "opus-mt-en-ROMANCE"
    shutil.copytree(shared[1], folder)
    data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = data["model"]["vocab"]
    for i, code in enumerate(("pt", "es", "pt_BR"), start=3):  # replace rarely used pieces by language tokens
        vocab[-i][0] = f">>{code}<<"
    (folder / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianJsonTokenizer(folder, {})
    assert set(tokenizer.language_tokens) == {"pt", "es", "pt_BR"}
    ids = tokenizer.encode("Hello world", None, "pt")
    assert ids[0] == len(vocab) - 3 and ids[-1] == tokenizer.eos_id
    assert tokenizer.encode(">>es<< Hello world")[0] == len(vocab) - 4
    assert tokenizer.decode(ids) == tokenizer.decode(ids[1:])  # the language token is not text
    langs = folder_languages(folder)  # the cheap reading used for routes sees them too
    assert {"pt", "es"} <= langs.targets and langs.model_code("pt") == "pt"


def test_broken_tokenizer_json_is_named(shared: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(shared[1], folder)
    path = folder / "tokenizer.json"
    good = path.read_text(encoding="utf-8")
    data = json.loads(good)
    data["model"] = {"type": "BPE", "vocab": {}, "merges": []}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidModelFileError, match="not a Unigram"):
        Seq2SeqEngine(folder)
    path.write_text(good[: len(good) // 2], encoding="utf-8")
    with pytest.raises(InvalidModelFileError, match="not a readable JSON"):
        Seq2SeqEngine(folder)
    path.unlink()
    with pytest.raises(InvalidModelFileError, match=r"source\.spm.*no tokenizer\.json"):
        Seq2SeqEngine(folder)


def test_helper_writes_xenovas_layout(shared: tuple[Path, Path]) -> None:
    data = marian_tokenizer_json(shared[0])
    assert data["normalizer"] == {"type": "Precompiled", "precompiled_charsmap": None}
    assert data["model"]["vocab"][0][0] == "</s>"


def test_m2m100_prefers_its_sentencepiece_files_and_a_bad_tokenizer_json_is_an_error(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Xenova's M2M100/NLLB folders also ship a tokenizer.json; one the tokenizers library cannot read (a
    Precompiled normalizer without its map makes it panic) is a clear error, never a crash, and M2M100
    folders use the SentencePiece files transformers' M2M100Tokenizer reads."""
    from tiny_seq2seq import build_m2m100, build_nllb

    from engines.translate.tokenizer import M2M100Tokenizer

    base = tmp_path_factory.getbasetemp()
    unreadable = {"version": "1.0", "normalizer": {"type": "Precompiled", "precompiled_charsmap": None},
                  "model": {"type": "Unigram", "vocab": [["<unk>", 0.0]]}}
    m2m = tmp_path / "m2m"
    shutil.copytree(cached(base, "m2m100", build_m2m100)[1], m2m)
    (m2m / "tokenizer.json").write_text(json.dumps(unreadable), encoding="utf-8")
    engine = Seq2SeqEngine(m2m)
    assert isinstance(engine.tokenizer, M2M100Tokenizer) and engine.encode("Hello world", "en", "pt")
    nllb = tmp_path / "nllb"
    shutil.copytree(cached(base, "nllb", build_nllb)[1], nllb)
    (nllb / "tokenizer.json").write_text(json.dumps(unreadable), encoding="utf-8")
    with pytest.raises(InvalidModelFileError, match="tokenizers library can read"):
        Seq2SeqEngine(nllb)
