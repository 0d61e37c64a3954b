"""Which model to suggest to a new user.

For now: the smallest chat card in the catalog. When engines/fit.py and engines/hardware.py land,
replace `starter_chat_card` with the fit estimate (the best card that fits this machine).
"""

from __future__ import annotations

from collections.abc import Sequence

from engines.cards import ModelCard


def starter_chat_card(catalog: Sequence[ModelCard]) -> ModelCard | None:
    chat = [c for c in catalog if "chat" in c.tasks and c.engine == "llama.cpp"]
    return min(chat, key=lambda c: (c.parameters or 10**15, c.id), default=None)
