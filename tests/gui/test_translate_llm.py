"""The Translate page keeps a chat model (LLM) loaded between runs and frees it when it is no longer wanted.

Real tiny GGUF models on the real llama.cpp engine; loads are counted at `open_chat_model`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import engines.host.open_model
from desktop import model_ops
from desktop.appcontext import AppContext
from desktop.pages.translate import TranslatePage
from engines.host.chat import HostedChatEngine
from engines.store.model_store import InstalledModel, ModelStore
from engines.testing import write_tiny_llama
from engines.translate import TranslationResult

from . import pages
from .pages import shown_page


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[HostedChatEngine]:
    """Every chat model loaded during the test, in order."""
    real = engines.host.open_model.open_chat_model
    loaded: list[HostedChatEngine] = []

    def counting(*args: Any, **kwargs: Any) -> HostedChatEngine:
        engine = real(*args, **kwargs)
        loaded.append(engine)
        return engine

    monkeypatch.setattr(engines.host.open_model, "open_chat_model", counting)
    return loaded


@pytest.fixture
def two_chat_models(installed_model: InstalledModel, tmp_path: Path) -> tuple[InstalledModel, InstalledModel]:
    other = ModelStore().add(write_tiny_llama(tmp_path / "other-chat.gguf"), name="Other Chat")
    return installed_model, other


@pytest.fixture
def ctx_page(qtbot: QtBot, two_chat_models: tuple[InstalledModel, InstalledModel]
             ) -> Iterator[tuple[AppContext, TranslatePage]]:
    ctx = AppContext()
    with shown_page(qtbot, ctx, TranslatePage(ctx)) as page:
        yield ctx, page


@dataclass
class Setup:
    """The page on its context, the chat models loaded so far, and the two installed chat models."""

    ctx: AppContext
    page: TranslatePage
    loads: list[HostedChatEngine]
    first: InstalledModel
    second: InstalledModel


@pytest.fixture
def llm(ctx_page: tuple[AppContext, TranslatePage], loads: list[HostedChatEngine],
        two_chat_models: tuple[InstalledModel, InstalledModel]) -> Setup:
    return Setup(*ctx_page, loads, *two_chat_models)


def pick(page: TranslatePage, ref: str) -> None:
    """Choose a model the way the user does (the picker's `activated` signal)."""
    index = page.model_combo.findData(ref)
    assert index >= 0
    page.model_combo.setCurrentIndex(index)
    page.model_combo.activated.emit(index)


def translate_now(qtbot: QtBot, page: TranslatePage, text: str) -> TranslationResult:
    return pages.translate_now(qtbot, page, text, ("en", "pt"))


def idle(qtbot: QtBot, page: TranslatePage) -> None:
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=30_000)


def first_run(qtbot: QtBot, page: TranslatePage, ref: str) -> TranslationResult:
    """Pick `ref`, let the pick settle, and translate once (which loads the chat model)."""
    pick(page, ref)
    idle(qtbot, page)
    return translate_now(qtbot, page, "The water is hot.")


def test_two_runs_load_the_chat_model_once(qtbot: QtBot, llm: Setup) -> None:
    first_run(qtbot, llm.page, llm.first.id)
    translate_now(qtbot, llm.page, "The water is cold.")
    assert len(llm.loads) == 1 and not llm.loads[0].closed  # kept for the next run, not reloaded


def test_picking_another_model_frees_the_chat_model(qtbot: QtBot, llm: Setup) -> None:
    result = first_run(qtbot, llm.page, llm.first.id)
    assert result.models == [Path(llm.first.path).name]
    assert len(llm.loads) == 1
    llm.page.auto_check.setChecked(False)  # only the pick: no run follows it
    pick(llm.page, llm.second.id)
    qtbot.waitUntil(lambda: llm.loads[0].closed, timeout=10_000)  # freed before any run asks for the other
    assert len(llm.loads) == 1
    result = translate_now(qtbot, llm.page, "The water is cold.")
    assert result.models == [Path(llm.second.path).name]
    assert len(llm.loads) == 2 and not llm.loads[1].closed


def test_removing_the_model_frees_it(qtbot: QtBot, llm: Setup) -> None:
    first_run(qtbot, llm.page, llm.second.id)
    assert len(llm.loads) == 1 and not llm.loads[0].closed
    llm.ctx.models_changed.emit()  # something else changed (a download): the model stays loaded
    idle(qtbot, llm.page)
    assert not llm.loads[0].closed
    with qtbot.waitSignal(llm.ctx.models_changed, timeout=10_000):
        model_ops.delete_model(llm.ctx, llm.second.id)
    qtbot.waitUntil(lambda: llm.loads[0].closed, timeout=10_000)
    assert llm.page.model_combo.findData(llm.second.id) < 0 and llm.page.model_combo.findData(llm.first.id) >= 0


def test_closing_the_page_frees_the_chat_model(qtbot: QtBot, llm: Setup) -> None:
    first_run(qtbot, llm.page, llm.first.id)
    llm.page.shutdown()
    assert len(llm.loads) == 1 and llm.loads[0].closed and llm.page.service is None
