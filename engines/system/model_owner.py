"""Which models stay loaded: one owner, a memory budget, the least recently used goes first.

Each part of the app that keeps a model loaded (the chat session, LLM translation, the captioner)
holds one *slot*. It calls `claim` before it loads a model (or uses the one it has), `released`
when it decides to free it on its own, and `memory_freed` once an unload has ended. A claim that
takes the loaded total over the budget asks the least recently used other slots to free theirs,
by calling the `release` they gave: that callback must not block (the GUI queues the unload after
the work in flight on that model's own thread), and it is called on the thread that made the
claim. A model larger than the whole budget is still loaded (the user asked for it); every other
one is freed first.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from engines.system.memory import memory

BUDGET_SHARE = 0.6  # of the computer's RAM, for the models the app keeps loaded at once
FALLBACK_BUDGET = 8 * 1024**3  # when the RAM cannot be read


def default_budget() -> int:
    total, _ = memory()
    return int(total * BUDGET_SHARE) if total else FALLBACK_BUDGET


@dataclass
class Held:
    slot: str
    model: str  # a model id or path: what the slot has loaded
    size: int  # bytes, from the store (file sizes): what the model costs in memory, roughly
    release: Callable[[], object]
    used: int  # the owner's clock at the last claim: lower is less recently used


class ModelOwner:
    """Thread-safe. `on_change` (called after each change, outside the lock) lets the GUI refresh."""

    def __init__(self, budget: int | None = None, on_change: Callable[[], None] | None = None) -> None:
        self.budget = default_budget() if budget is None else budget
        self.on_change = on_change
        self._held: dict[str, Held] = {}
        self._clock = itertools.count(1)
        self._lock = threading.Lock()

    def claim(self, slot: str, model: str, size: int, release: Callable[[], object]) -> list[str]:
        """`slot` loads (or uses) `model`; frees least recently used others past the budget. Returns their slots."""
        with self._lock:
            self._held[slot] = Held(slot, model, max(0, size), release, next(self._clock))
            victims = self._over_budget(slot)
            for held in victims:
                del self._held[held.slot]
        for held in victims:
            held.release()
        self._changed()
        return [held.slot for held in victims]

    def _over_budget(self, keep: str) -> list[Held]:
        total = sum(h.size for h in self._held.values())
        victims: list[Held] = []
        for held in sorted(self._held.values(), key=lambda h: h.used):
            if total <= self.budget:
                break
            if held.slot != keep:
                victims.append(held)
                total -= held.size
        return victims

    def touch(self, slot: str) -> None:
        """The slot's model was just used: it becomes the most recently used."""
        with self._lock:
            if (held := self._held.get(slot)) is not None:
                held.used = next(self._clock)

    def released(self, slot: str) -> None:
        """The slot let its model go (another model picked, the page closed). Say it when the unload is
        decided, not when it ends, so that a claim made in between is not undone."""
        with self._lock:
            self._held.pop(slot, None)
        self._changed()

    def memory_freed(self) -> None:
        """An unload has ended (on whichever thread): listeners refresh the memory in use."""
        self._changed()

    def held(self) -> list[Held]:
        """What is loaded, least recently used first."""
        with self._lock:
            return sorted(self._held.values(), key=lambda h: h.used)

    def loaded_bytes(self) -> int:
        with self._lock:
            return sum(h.size for h in self._held.values())

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
