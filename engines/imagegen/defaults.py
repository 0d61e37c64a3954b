"""The settings a model's card recommends (SD-Turbo: 1 step at guidance 0; SD 1.5: 25 steps at 7), for what
the user left unset. A model without a card (a file the user brought) gets the SD 1.x/2.x classics."""

from __future__ import annotations

import contextlib
from typing import Any

from engines.errors import CandeiaError

CLASSIC = {"steps": 20, "guidance": 7.0, "sampler": "euler_a"}


def recommended_for(ref: str) -> dict[str, Any]:
    """steps, guidance, sampler and image_size for an installed model id (or a path), from its card."""
    from engines.cards.catalog import load_catalog
    from engines.store.models import resolve_model

    out: dict[str, Any] = dict(CLASSIC)
    with contextlib.suppress(CandeiaError, OSError):
        installed = resolve_model(ref).installed
        card_id = installed.card_id if installed is not None else None
        card = next((c for c in load_catalog() if c.id == card_id), None) if card_id else None
        if card is not None:
            rec = card.recommended
            out.update({k: v for k, v in (("steps", rec.steps), ("guidance", rec.guidance),
                                          ("sampler", rec.sampler), ("image_size", rec.image_size))
                        if v is not None})
    return out
