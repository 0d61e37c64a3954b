"""Portuguese without NLLB: an installed multi-target OPUS-MT (en→ROMANCE, >>pt<<) and its ROMANCE→en
partner give en↔pt routes, preferred over a many-to-many model."""

from __future__ import annotations

import json
from pathlib import Path

from engines.store.model_store import InstalledModel, ModelFormat
from engines.translate.languages import ModelLanguages
from engines.translate.routes import folder_languages, plan_route

ROMANCE_TOKENS = [">>fr<<", ">>es<<", ">>it<<", ">>pt<<", ">>pt_BR<<", ">>ro<<", ">>ca<<", ">>gl<<"]


def marian_folder(root: Path, name: str, tokens: list[str] = ()) -> Path:  # type: ignore[assignment]
    """The files the cheap language reading looks at (no weights needed for planning)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "marian"}), encoding="utf-8")
    vocab = {"</s>": 0, "<unk>": 1, **{t: i + 2 for i, t in enumerate(tokens)}, "▁hello": 99}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    return folder


def model(model_id: str, path: Path, size: int) -> InstalledModel:
    return InstalledModel(id=model_id, name=model_id, format=ModelFormat.onnx, path=str(path), linked=True, size=size,
                          tasks=["translate"])


def test_en_to_pt_goes_through_opus_mt_romance_not_nllb(tmp_path: Path) -> None:
    en_romance = marian_folder(tmp_path, "opus-mt-en-ROMANCE", ROMANCE_TOKENS)
    romance_en = marian_folder(tmp_path, "opus-mt-ROMANCE-en")
    langs = folder_languages(en_romance)
    assert langs.sources == {"en"} and {"pt", "es", "fr", "it"} <= langs.targets
    assert langs.model_code("pt") == "pt" and not langs.any_to_any  # the >>pt<< token, not >>pt_BR<<
    back = folder_languages(romance_en)
    assert "pt" in back.sources and back.targets == {"en"}
    nllb = ModelLanguages(sources={"en", "pt", "de"}, targets={"en", "pt", "de"}, any_to_any=True,
                          spelling={"en": "eng_Latn", "pt": "por_Latn", "de": "deu_Latn"})
    candidates = [(model("nllb", tmp_path, 600_000_000), nllb),
                  (model("en-romance", en_romance, 300_000_000), langs),
                  (model("romance-en", romance_en, 300_000_000), back)]
    to_pt = plan_route("en", "pt-BR", candidates)
    assert [h.model.id for h in to_pt.hops] == ["en-romance"]
    from_pt = plan_route("pt", "en", candidates)
    assert [h.model.id for h in from_pt.hops] == ["romance-en"]
    # Spanish to Portuguese: through English with the two OPUS-MT models, still no NLLB.
    pivot = plan_route("es", "pt", [c for c in candidates if c[0].id != "nllb"])
    assert [(h.model.id, h.src, h.tgt) for h in pivot.hops] == [("romance-en", "es", "en"), ("en-romance", "en", "pt")]
