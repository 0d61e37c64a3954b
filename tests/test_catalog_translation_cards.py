"""The ONNX translation cards: their file lists make folders the engine loads, and routes use them well."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engines.cards import ModelCard, load_catalog
from engines.store.model_store import InstalledModel, ModelFormat
from engines.translate.languages import MARIAN_GROUPS, ModelLanguages
from engines.translate.routes import _card_languages, plan_route

ONNX_TRANSLATORS = [c for c in load_catalog() if c.engine == "onnxruntime" and "translate" in c.tasks]
INTO_ENGLISH = {"de", "fr", "es", "it", "nl", "ru", "pl", "zh", "mul"}
M2M_FILES = {"sentencepiece.bpe.model", "vocab.json"}


def _installed(card: ModelCard, path: Path) -> tuple[InstalledModel, ModelLanguages]:
    model = InstalledModel(id=card.id, name=card.name, format=ModelFormat.onnx, path=str(path / card.id), linked=True,
                           size=card.size, tasks=["translate"], card_id=card.id)
    langs = _card_languages(card)
    assert langs is not None
    return model, langs


def test_the_catalog_translates_into_english_from_the_languages_around_it() -> None:
    ids = {c.id for c in ONNX_TRANSLATORS}
    assert {f"opus-mt-{code}-en" for code in INTO_ENGLISH} <= ids
    for card in ONNX_TRANSLATORS:  # Marian: tokenizer.json (Xenova's exports); M2M100: its SentencePiece files
        paths = {f.path for f in card.source.files}
        assert ("tokenizer.json" in paths or paths >= M2M_FILES) and "config.json" in paths, card.id
        assert card.licence.commercial_use == "yes"


def test_mul_en_lists_the_languages_the_engine_reads_from_its_name() -> None:
    card = next(c for c in ONNX_TRANSLATORS if c.id == "opus-mt-mul-en")
    assert {s for s, _ in card.language_pairs} == MARIAN_GROUPS["mul"] and {t for _, t in card.language_pairs} == {"en"}
    assert card.speaks("pt_BR")


def test_routes_prefer_the_single_pair_model_and_portuguese_goes_through_mul_en(tmp_path: Path) -> None:
    cards = {c.id: c for c in ONNX_TRANSLATORS}
    nllb = (InstalledModel(id="nllb", name="nllb", format=ModelFormat.onnx, path=str(tmp_path), linked=True,
                           size=600_000_000, tasks=["translate"]),
            ModelLanguages(sources={"en", "pt", "es"}, targets={"en", "pt", "es"}, any_to_any=True))
    candidates = [_installed(cards[i], tmp_path) for i in ("opus-mt-mul-en", "opus-mt-es-en")] + [nllb]
    # mul-en's files are smaller than es-en's, yet the single-pair model wins
    assert cards["opus-mt-mul-en"].size < cards["opus-mt-es-en"].size
    assert [h.model.id for h in plan_route("es", "en", candidates).hops] == ["opus-mt-es-en"]
    assert [h.model.id for h in plan_route("pt-BR", "en", candidates).hops] == ["opus-mt-mul-en"]


@pytest.mark.parametrize("card", ONNX_TRANSLATORS, ids=[c.id for c in ONNX_TRANSLATORS])
def test_the_card_files_make_a_folder_the_engine_loads(card: ModelCard, tmp_path: Path,
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    """The tiny Marian's files laid out under the card's paths: the engine finds every part it needs."""
    pytest.importorskip("torch")
    pytest.importorskip("optimum.exporters.onnx")
    from tiny_seq2seq import build_m2m100, build_marian, cached, json_only_marian

    from engines.translate.engine import Seq2SeqEngine

    base = tmp_path_factory.getbasetemp()
    if any(f.path == "sentencepiece.bpe.model" for f in card.source.files):
        _, onnx_dir = cached(base, "m2m100", build_m2m100)
        tiny = onnx_dir
    else:
        ckpt, onnx_dir = cached(base, "marian-shared", lambda root: build_marian(root, shared_spm=True))
        tiny = base / "seq2seq-cache" / "marian-shared-json-cards"
        if not tiny.exists():
            json_only_marian(onnx_dir, ckpt, tiny)
    folder = tmp_path / card.id
    for f in card.source.files:
        name = {"encoder": "encoder_model.onnx", "decoder": "decoder_model_merged.onnx"}.get(f.role, f.path)
        source = tiny / name if (tiny / name).exists() else onnx_dir / name
        (folder / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / f.path)
    config = folder / "tokenizer_config.json"  # the tiny model's says en→de; the folder name says the rest
    data = json.loads(config.read_text(encoding="utf-8"))
    config.write_text(json.dumps({k: v for k, v in data.items() if not k.endswith("_lang")}), encoding="utf-8")
    engine = Seq2SeqEngine(folder)
    assert engine.files.quantized  # the card ships the int8 graphs only
    src, tgt = ("en", "pt") if card.languages else card.language_pairs[0]
    assert engine.translate_sentences(["Hello world."], src, tgt)[0]
    langs = engine.languages  # what the folder says, when no card is at hand
    for src, tgt in card.language_pairs or [("en", "pt"), ("pt", "en")]:
        assert langs.supports(src, tgt), (card.id, src, tgt)


def test_english_to_portuguese_from_the_catalog_without_nllb(tmp_path: Path) -> None:
    """An ONNX en→pt route from catalog cards alone: M2M100 (MIT) both ways, not NLLB (non-commercial)."""
    cards = {c.id: c for c in ONNX_TRANSLATORS}
    m2m = cards["m2m100-418m"]
    assert m2m.licence.commercial_use == "yes" and not m2m.licence.needs_consent
    assert not any("nllb" in c.id for c in ONNX_TRANSLATORS)
    candidates = [_installed(cards[i], tmp_path) for i in ("m2m100-418m", "opus-mt-mul-en", "opus-mt-de-en")]
    assert [h.model.id for h in plan_route("en", "pt-BR", candidates).hops] == ["m2m100-418m"]
    assert [h.model.id for h in plan_route("pt", "en", candidates).hops] == ["opus-mt-mul-en"]  # the smaller pair
    assert [h.model.id for h in plan_route("de", "pt", candidates).hops] == ["m2m100-418m"]  # direct, no pivot
