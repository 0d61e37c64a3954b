"""The model owner: which models stay loaded within a memory budget (least recently used goes first)."""

from __future__ import annotations

from engines.system.model_owner import ModelOwner, default_budget


def owner_with(budget: int) -> tuple[ModelOwner, list[str], list[int]]:
    released: list[str] = []
    changes: list[int] = []
    owner = ModelOwner(budget, on_change=lambda: changes.append(1))
    return owner, released, changes


def test_a_claim_over_the_budget_frees_the_least_recently_used() -> None:
    owner, released, changes = owner_with(250)
    assert owner.claim("chat", "a", 100, lambda: released.append("chat")) == []
    assert owner.claim("translate", "b", 100, lambda: released.append("translate")) == []
    assert owner.claim("caption", "c", 100, lambda: released.append("caption")) == ["chat"]
    assert released == ["chat"]
    assert [h.slot for h in owner.held()] == ["translate", "caption"] and owner.loaded_bytes() == 200
    assert len(changes) == 3


def test_use_makes_a_model_the_most_recent() -> None:
    owner, released, _ = owner_with(250)
    owner.claim("chat", "a", 100, lambda: released.append("chat"))
    owner.claim("translate", "b", 100, lambda: released.append("translate"))
    owner.touch("chat")  # a reply: chat is now the most recently used
    owner.claim("caption", "c", 100, lambda: released.append("caption"))
    assert released == ["translate"]
    assert {h.slot for h in owner.held()} == {"chat", "caption"}


def test_a_model_larger_than_the_budget_still_loads_alone() -> None:
    owner, released, _ = owner_with(150)
    owner.claim("chat", "a", 100, lambda: released.append("chat"))
    owner.claim("translate", "b", 40, lambda: released.append("translate"))
    assert owner.claim("caption", "huge", 500, lambda: released.append("caption")) == ["chat", "translate"]
    assert [h.model for h in owner.held()] == ["huge"]


def test_claiming_again_replaces_the_slot_and_released_frees_it() -> None:
    owner, released, changes = owner_with(250)
    owner.claim("chat", "a", 100, lambda: released.append("chat"))
    owner.claim("chat", "b", 200, lambda: released.append("chat"))  # another model picked: one slot, one model
    assert released == [] and [h.model for h in owner.held()] == ["b"]
    owner.released("chat")
    assert owner.held() == [] and owner.loaded_bytes() == 0 and len(changes) == 3


def test_the_default_budget_is_a_share_of_the_ram() -> None:
    assert default_budget() > 0
