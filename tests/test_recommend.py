from __future__ import annotations

from desktop.recommend import STARTER_MAX_PARAMETERS, starter_chat_card
from engines.cards import ModelCard, load_catalog
from engines.cards.fit import FitEstimate


def verdict_for(limit: int):  # type: ignore[no-untyped-def]
    def fit(card: ModelCard) -> FitEstimate:
        size = card.parameters or 0
        verdict = "fits" if size <= limit else "won't fit"
        return FitEstimate(verdict, "RAM", 4096, size, None, 0, size, limit, "")  # type: ignore[arg-type]

    return fit


def test_starter_is_the_biggest_small_chat_model_that_fits() -> None:
    catalog = load_catalog()
    chat = [c for c in catalog if "chat" in c.tasks and c.engine == "llama.cpp" and c.speaks("en")
            and not c.licence.needs_consent]
    smallest = min(chat, key=lambda c: c.parameters or 0)
    assert starter_chat_card(catalog) == smallest  # hardware not measured yet
    roomy = starter_chat_card(catalog, verdict_for(10**12))
    assert roomy is not None and roomy.parameters is not None and roomy.parameters <= STARTER_MAX_PARAMETERS
    assert roomy.parameters == max(c.parameters or 0 for c in chat if (c.parameters or 0) <= STARTER_MAX_PARAMETERS)
    tight = starter_chat_card(catalog, verdict_for(1_100_000_000))
    assert tight is not None and (tight.parameters or 0) <= 1_100_000_000
    assert starter_chat_card(catalog, verdict_for(1)) == smallest  # nothing fits: still suggest the smallest


def test_starter_follows_the_ui_language() -> None:
    catalog = load_catalog()
    roomy = verdict_for(10**12)
    english = starter_chat_card(catalog, roomy, "en")
    portuguese = starter_chat_card(catalog, roomy, "pt_BR")
    assert english is not None and portuguese is not None
    assert english.speaks("en") and portuguese.speaks("pt")
    assert "pt" not in english.languages or english == portuguese
    assert portuguese.id != "smollm2-1.7b-instruct-q4_k_m"  # English only: the pick the issue complained about
    # Before the hardware is measured, and when nothing fits, still a model in the user's language.
    assert (first := starter_chat_card(catalog, None, "pt_BR")) is not None and first.speaks("pt")
    assert (none_fit := starter_chat_card(catalog, verdict_for(1), "pt_BR")) is not None and none_fit.speaks("pt")


def test_starter_never_needs_a_licence_prompt() -> None:
    for language in ("en", "pt_BR"):
        for limit in (1, 1_100_000_000, 10**12):
            card = starter_chat_card(load_catalog(), verdict_for(limit), language)
            assert card is not None and not card.licence.needs_consent
