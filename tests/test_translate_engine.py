"""The ONNX seq2seq engine against transformers' generate() on the same tiny random weights."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from tiny_seq2seq import build_m2m100, cached, quantize_folder

from engines.errors import InvalidModelFileError
from engines.translate.engine import DecodeOptions, Seq2SeqEngine, UnsupportedLanguageError

TEXTS = [
    "Hello world, this is a test.",
    "Good morning.",
    "Where is the station and how is the weather today?",
    "Bom dia e boa noite",
    "Numbers like 12 and 345 appear too.",
    "Ships",
]


@pytest.fixture(scope="session")
def m2m100(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return cached(tmp_path_factory.getbasetemp(), "m2m100", build_m2m100)


@functools.lru_cache(maxsize=4)
def _load_reference(ckpt: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    torch.set_num_threads(1)  # tiny models: threads only cost time on a shared machine
    return AutoTokenizer.from_pretrained(ckpt), AutoModelForSeq2SeqLM.from_pretrained(ckpt).eval()


def _reference(ckpt: Path, texts: list[str], **kwargs: Any) -> tuple[list[list[int]], list[list[int]]]:
    """transformers' input ids and generated ids (start token dropped, cut after the first EOS)."""
    import torch

    tok, model = _load_reference(ckpt)
    enc = tok(texts, return_tensors="pt", padding=True)
    if "forced_bos_lang" in kwargs:
        kwargs["forced_bos_token_id"] = tok.convert_tokens_to_ids(kwargs.pop("forced_bos_lang"))
    with torch.no_grad():
        out = model.generate(**enc, **kwargs)
    eos = model.generation_config.eos_token_id
    eos_ids = {eos} if isinstance(eos, int) else set(eos)
    generated = []
    for row in out.tolist():
        ids: list[int] = []
        for token in row[1:]:
            ids.append(token)
            if token in eos_ids:
                break
        generated.append(ids)
    inputs = [r[m.bool()].tolist() for r, m in zip(enc.input_ids, enc.attention_mask, strict=True)]
    return inputs, generated


CASES = [
    pytest.param({}, id="generation-config"),  # Marian: 4 beams, max_length 64, forced EOS, pad banned
    pytest.param({"num_beams": 1, "max_new_tokens": 24}, id="greedy"),
    pytest.param({"num_beams": 4, "max_new_tokens": 24}, id="beam4"),
    pytest.param({"num_beams": 3, "max_new_tokens": 20, "length_penalty": 0.6, "no_repeat_ngram_size": 2},
                 id="beam3-lp-ngram"),
    pytest.param({"num_beams": 1, "max_new_tokens": 20, "no_repeat_ngram_size": 3}, id="greedy-ngram"),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_marian_matches_transformers(marian: tuple[Path, Path], kwargs: dict[str, Any]) -> None:
    ckpt, folder = marian
    ref_inputs, ref_out = _reference(ckpt, TEXTS, **kwargs)
    engine = Seq2SeqEngine(folder)
    inputs = [engine.encode(t, None, None) for t in TEXTS]
    assert inputs == ref_inputs
    settings = engine.settings_for(None, DecodeOptions(**kwargs))
    ours = engine.generate_ids(inputs, settings)
    assert ours == ref_out
    assert len({tuple(r) for r in ours}) > 1, "outputs should depend on the input"


@pytest.mark.parametrize("kwargs", CASES[1:4])
def test_nllb_matches_transformers_with_forced_language(nllb: tuple[Path, Path], kwargs: dict[str, Any]) -> None:
    ckpt, folder = nllb
    ref_inputs, ref_out = _reference(ckpt, TEXTS, forced_bos_lang="por_Latn", **kwargs)
    engine = Seq2SeqEngine(folder)
    inputs = [engine.encode(t, "en", "pt") for t in TEXTS]
    assert inputs == ref_inputs
    assert inputs[0][0] == engine.tokenizer.language_tokens["eng_Latn"]
    ours = engine.generate_ids(inputs, engine.settings_for("pt", DecodeOptions(**kwargs)))
    assert ours == ref_out
    assert all(r[0] == engine.tokenizer.language_tokens["por_Latn"] for r in ours)


def test_batches_match_single_sentences(marian: tuple[Path, Path]) -> None:
    engine = Seq2SeqEngine(marian[1])
    settings = engine.settings_for(None, DecodeOptions(num_beams=2, max_new_tokens=16))
    inputs = [engine.encode(t, None, None) for t in TEXTS]
    batched = engine.generate_ids(inputs, settings)
    single = [engine.generate_ids([ids], settings)[0] for ids in inputs]
    assert batched == single


def test_separate_decoders_give_the_same_ids(marian: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "split"
    shutil.copytree(marian[1], folder)
    (folder / "decoder_model_merged.onnx").unlink()
    split = Seq2SeqEngine(folder)
    assert split.files.decoder_merged is None and not split.model.merged
    merged = Seq2SeqEngine(marian[1])
    inputs = [merged.encode(t, None, None) for t in TEXTS]
    for beams in (1, 3):
        options = DecodeOptions(num_beams=beams, max_new_tokens=16)
        assert split.generate_ids(inputs, split.settings_for(None, options)) == merged.generate_ids(
            inputs, merged.settings_for(None, options))


def test_int8_variant_loads_and_translates(marian: tuple[Path, Path], tmp_path: Path) -> None:
    folder = quantize_folder(marian[1], tmp_path / "int8")
    engine = Seq2SeqEngine(folder, variant="int8")
    assert engine.files.quantized and engine.files.encoder.name == "encoder_model_quantized.onnx"
    assert Seq2SeqEngine(folder).files.quantized is False  # auto prefers full precision when both exist
    out = engine.translate_sentences(TEXTS[:3], None, None, DecodeOptions(num_beams=1, max_new_tokens=8))
    assert len(out) == 3 and all(isinstance(s, str) for s in out)
    import onnx

    graph = onnx.load(str(folder / "decoder_model_merged_quantized.onnx")).graph

    def op_types(g: Any) -> list[str]:
        found = []
        for node in g.node:
            found.append(node.op_type)
            for attr in node.attribute:
                if attr.g is not None and attr.g.node:
                    found += op_types(attr.g)
        return found

    kinds = op_types(graph)
    # both branches of the merged decoder (If subgraphs) are quantized
    assert kinds.count("MatMulInteger") + kinds.count("DynamicQuantizeMatMul") >= 2


def test_translate_sentences_decodes_text(nllb: tuple[Path, Path]) -> None:
    from transformers import AutoTokenizer

    engine = Seq2SeqEngine(nllb[1])
    tok = AutoTokenizer.from_pretrained(nllb[0])
    progress: list[tuple[int, int]] = []
    out = engine.translate_sentences(["Hello world.", "", "Good night."], "en", "pt",
                                     DecodeOptions(num_beams=1, max_new_tokens=10),
                                     progress=lambda d, t: progress.append((d, t)))
    assert out[1] == ""
    ids = engine.generate_ids([engine.encode("Hello world.", "en", "pt")],
                              engine.settings_for("pt", DecodeOptions(num_beams=1, max_new_tokens=10)))[0]
    assert out[0] == tok.decode(ids, skip_special_tokens=True).strip()
    assert progress[-1] == (3, 3)
    assert engine.languages.supports("en", "pt") and engine.languages.model_code("pt") == "por_Latn"


def test_unknown_language_is_a_clear_error(nllb: tuple[Path, Path]) -> None:
    engine = Seq2SeqEngine(nllb[1])
    with pytest.raises(UnsupportedLanguageError, match="into 'xx'"):
        engine.settings_for("xx")
    with pytest.raises(UnsupportedLanguageError, match="source language"):
        engine.encode("hello", "zz", "pt")


def test_garbage_onnx_file_is_rejected(marian: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(marian[1], folder)
    (folder / "decoder_model_merged.onnx").write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(InvalidModelFileError, match="ONNX Runtime cannot load it"):
        Seq2SeqEngine(folder)
    (folder / "encoder_model.onnx").write_text("not a model", encoding="utf-8")
    with pytest.raises(InvalidModelFileError, match="not an ONNX model"):
        Seq2SeqEngine(folder)


@pytest.mark.parametrize("missing", ["source.spm", "vocab.json", "config.json"])
def test_missing_files_are_named(marian: tuple[Path, Path], tmp_path: Path, missing: str) -> None:
    folder = tmp_path / "incomplete"
    shutil.copytree(marian[1], folder)
    (folder / missing).unlink()
    with pytest.raises(InvalidModelFileError, match=missing.replace(".", r"\.")):
        Seq2SeqEngine(folder)


def test_missing_nllb_tokenizer_and_graphs(nllb: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "nllb"
    shutil.copytree(nllb[1], folder)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(InvalidModelFileError, match="no tokenizer files"):
        Seq2SeqEngine(folder)
    for name in ("decoder_model_merged.onnx", "decoder_with_past_model.onnx"):
        (folder / name).unlink()
    with pytest.raises(InvalidModelFileError, match=r"decoder_model_merged\.onnx"):
        Seq2SeqEngine(folder)
    with pytest.raises(InvalidModelFileError, match="not a folder"):
        Seq2SeqEngine(folder / "config.json")


def test_long_sentences_are_split_and_output_is_capped(marian: tuple[Path, Path]) -> None:
    engine = Seq2SeqEngine(marian[1])
    limit = int(engine.files.config["max_position_embeddings"]) - 2
    long_text = " ".join(["Hello world, this is a test"] * 60)  # far more tokens than the encoder's positions
    assert len(engine.encode(long_text, None, None)) > limit
    parts = engine._fit(long_text, None, None, limit)
    assert len(parts) > 1 and all(len(p) <= limit for p in parts)
    from engines.translate.engine import TranslateStats

    stats = TranslateStats()
    out = engine.translate_sentences([long_text, "Good morning."], None, None, DecodeOptions(num_beams=1),
                                     stats=stats)
    assert len(out) == 2 and stats.sentences == 2
    short = engine.encode("Good morning.", None, None)
    capped = engine.translate_sentences(["Good morning."], None, None, DecodeOptions(num_beams=1), stats=stats)
    assert len(capped) == 1
    # the cap: at most twice the input plus 16 tokens, well under the model's max_length of 64
    settings = engine.settings_for(None, DecodeOptions(num_beams=1, max_new_tokens=2 * len(short) + 16))
    assert len(engine.generate_ids([short], settings)[0]) <= 2 * len(short) + 16


@pytest.mark.parametrize("kwargs", [CASES[1], CASES[2]])
def test_m2m100_sentencepiece_tokenizer_matches_transformers(m2m100: tuple[Path, Path], kwargs: dict[str, Any]) -> None:
    ckpt, folder = m2m100
    assert (folder / "sentencepiece.bpe.model").is_file() and not (folder / "tokenizer.json").exists()
    ref_inputs, ref_out = _reference(ckpt, TEXTS, forced_bos_lang="__pt__", **kwargs)
    engine = Seq2SeqEngine(folder)
    inputs = [engine.encode(t, "en", "pt") for t in TEXTS]
    assert inputs == ref_inputs
    assert engine.languages.model_code("pt") == "pt" and engine.languages.any_to_any
    from engines.translate.routes import folder_languages

    assert folder_languages(folder).supports("de", "pt")  # the cheap reading used for routes agrees
    ours = engine.generate_ids(inputs, engine.settings_for("pt", DecodeOptions(**kwargs)))
    assert ours == ref_out
