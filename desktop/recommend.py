"""Which model to suggest to a new user: the most capable small chat model that fits this computer,
in the user's language, under a licence that needs no confirmation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engines.cards import ModelCard
from engines.cards.fit import FitEstimate

STARTER_MAX_PARAMETERS = 2_000_000_000  # bigger ones are slow to download and to run on a first try


def starter_chat_card(
    catalog: Sequence[ModelCard], fit: Callable[[ModelCard], FitEstimate | None] | None = None,
    language: str = "en",
) -> ModelCard | None:
    """The largest llama.cpp chat card up to STARTER_MAX_PARAMETERS whose estimate says "fits";
    without a fit estimate (hardware not measured yet) or when none fits, the smallest one.

    Cards that list the UI `language` come first (a Portuguese UI gets a model that speaks
    Portuguese), then any other; non-commercial and gated ones are never suggested.
    """
    chat = [c for c in catalog if "chat" in c.tasks and c.engine == "llama.cpp" and not c.licence.needs_consent]
    speaking = [c for c in chat if c.speaks(language)]
    chat = speaking or chat
    smallest = min(chat, key=lambda c: (c.parameters or 10**15, c.id), default=None)
    if fit is None:
        return smallest
    fitting = [c for c in chat if (c.parameters or 10**15) <= STARTER_MAX_PARAMETERS
               and (estimate := fit(c)) is not None and estimate.verdict == "fits"]
    return max(fitting, key=lambda c: (c.parameters or 0, c.id), default=smallest)
