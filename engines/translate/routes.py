"""Which installed models translate a pair: directly, or through English when only X→en and en→Y exist."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engines.cards import ModelCard, load_catalog
from engines.errors import CandeiaError, CardError
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.translate.languages import ModelLanguages, normalize

PIVOT = "en"


class NoRouteError(CandeiaError, LookupError):
    """No installed model (nor a chain through English) translates the pair asked for."""


@dataclass(frozen=True)
class Hop:
    model: InstalledModel
    src: str
    tgt: str


@dataclass
class Route:
    hops: list[Hop] = field(default_factory=list)

    @property
    def pivoted(self) -> bool:
        return len(self.hops) > 1

    def describe(self) -> str:
        return " → ".join([self.hops[0].src] + [f"{h.tgt} ({h.model.id})" for h in self.hops])


def _card_languages(card: ModelCard) -> ModelLanguages | None:
    langs = ModelLanguages()
    if card.language_pairs:
        langs.sources = {normalize(s) for s, _ in card.language_pairs}
        langs.targets = {normalize(t) for _, t in card.language_pairs}
        return langs
    if card.languages:
        langs.sources = langs.targets = {normalize(c) for c in card.languages}
        langs.any_to_any = True
        return langs
    return None


def folder_languages(folder: Path) -> ModelLanguages:
    """A cheap reading of an ONNX folder's languages (no model or tokenizer is loaded)."""
    from engines.translate.languages import marian_languages

    langs = ModelLanguages()
    config: dict[str, object] = {}
    with contextlib.suppress(OSError, ValueError):
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") == "marian":
        sides = marian_languages(folder)
        if sides:
            langs.sources, langs.targets = sides
        tokens = _marian_target_tokens(folder)
        if tokens:  # multi-target (opus-mt-en-ROMANCE): the >>xx<< tokens say which targets exist
            langs.targets = set()
            for code in tokens:
                langs.targets.add(normalize(code))
                langs.spelling.setdefault(normalize(code), code)
        return langs
    codes: list[str] = []
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        extra = data.get("additional_special_tokens") if isinstance(data, dict) else None
        if isinstance(extra, list) and extra:
            codes = [c if isinstance(c, str) else str(c.get("content", "")) for c in extra]
            break
        if isinstance(data, dict) and data.get("tokenizer_class") == "M2M100Tokenizer":
            from engines.translate.tokenizer import M2M100_CODES

            codes = list(M2M100_CODES.get(str(data.get("language_codes", "m2m100")), []))
            break
    for code in codes:
        if code.startswith("__") and code.endswith("__"):
            code = code[2:-2]
        norm = normalize(code)
        langs.spelling.setdefault(norm, code)
    langs.sources = langs.targets = set(langs.spelling)
    langs.any_to_any = bool(langs.spelling)
    return langs


def _marian_target_tokens(folder: Path) -> list[str]:
    """The `>>xx<<` target-language tokens of a multi-target Marian vocabulary (base codes first)."""
    vocab: object = None
    with contextlib.suppress(OSError, ValueError):
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    if vocab is None:  # Xenova's exports: tokenizer.json's Unigram vocabulary, [[piece, score], ...]
        with contextlib.suppress(OSError, ValueError):
            model = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8")).get("model")
            vocab = [e[0] for e in model.get("vocab", []) if isinstance(e, list) and e] if isinstance(model, dict) \
                else None
    if not isinstance(vocab, (dict, list)):
        return []
    codes = [t[2:-2] for t in vocab if isinstance(t, str) and t.startswith(">>") and t.endswith("<<") and len(t) > 4]
    return sorted(codes, key=lambda c: (len(c), c))  # ">>pt<<" before ">>pt_BR<<": the plain one is spelt


def installed_translators(store: ModelStore | None = None,
                          cards: Sequence[ModelCard] | None = None) -> list[tuple[InstalledModel, ModelLanguages]]:
    store = store or ModelStore()
    if cards is None:
        try:
            cards = load_catalog()
        except CardError:
            cards = []
    by_id = {c.id: c for c in cards}
    found = []
    for model in store.installed():
        if model.format is not ModelFormat.onnx or "translate" not in model.tasks:
            continue
        card = by_id.get(model.card_id or "")
        langs = _card_languages(card) if card else None
        found.append((model, langs or folder_languages(Path(model.path))))
    return found


def _suggest(src: str, tgt: str, cards: Sequence[ModelCard]) -> str:
    def able(a: str, b: str) -> list[str]:
        return [c.id for c in cards
                if "translate" in c.tasks and (_card_languages(c) or ModelLanguages()).supports(a, b)]

    direct = able(src, tgt)
    if direct:
        return f"download {' or '.join(direct[:3])}"
    to_en, from_en = able(src, PIVOT), able(PIVOT, tgt)
    if src != PIVOT and tgt != PIVOT:
        first = to_en[0] if to_en else f"a {src}→en model"
        second = from_en[0] if from_en else f"an en→{tgt} model"
        return f"download a {src}→{tgt} model, or both {first} and {second} to go through English"
    return f"download a {src}→{tgt} model (such as opus-mt-{src}-{tgt}) or a multilingual one such as NLLB"


def known_language(code: str) -> bool:
    from engines.translate.detect import detector_languages
    from engines.translate.languages import ISO3_TO_1

    norm = normalize(code)
    return norm in set(ISO3_TO_1.values()) or norm in detector_languages()


def plan_route(src: str, tgt: str, candidates: Sequence[tuple[InstalledModel, ModelLanguages]],
               cards: Sequence[ModelCard] = ()) -> Route:
    src, tgt = normalize(src), normalize(tgt)
    for code in (src, tgt):
        if not known_language(code) and not any(code in langs.spelling or code in langs.sources | langs.targets
                                                for _, langs in candidates):
            raise NoRouteError(f"'{code}' is not a language code Candeia knows; use ISO 639-1 codes such as "
                               "en, pt, de, or the model's own codes such as por_Latn")
    # single-pair models first, then those covering fewer pairs (opus-mt-es-en before opus-mt-mul-en):
    # they are smaller and usually better than multilingual ones
    ordered = sorted(candidates, key=lambda c: (c[1].any_to_any, len(c[1].pairs()), c[0].size))
    for model, langs in ordered:
        if langs.supports(src, tgt):
            return Route([Hop(model, src, tgt)])
    if PIVOT not in (src, tgt):
        first = next((m for m, langs in ordered if langs.supports(src, PIVOT)), None)
        second = next((m for m, langs in ordered if langs.supports(PIVOT, tgt)), None)
        if first is not None and second is not None:
            return Route([Hop(first, src, PIVOT), Hop(second, PIVOT, tgt)])
    have = ", ".join(sorted(f"{m.id}" for m, _ in candidates)) or "none"
    raise NoRouteError(f"no installed model translates {src}→{tgt} (installed translation models: {have}); "
                       f"{_suggest(src, tgt, cards)}")
