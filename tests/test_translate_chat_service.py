"""TranslationService's chat model: loaded once for concurrent callers, and freeing it never waits on a load.

Real tiny GGUF models on llama.cpp; `open_chat_model` is wrapped to hold a load open until the test lets it go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engines.host.open_model
from engines.errors import EngineClosedError
from engines.host.chat import HostedChatEngine
from engines.store.model_store import InstalledModel, ModelStore
from engines.translate import TranslationService


class GatedLoads:
    """Counts chat model loads; each waits for `release` before it loads."""

    def __init__(self, real: Callable[..., HostedChatEngine]) -> None:
        self.real = real
        self.release = threading.Event()
        self.started = threading.Event()
        self.engines: list[HostedChatEngine] = []
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> HostedChatEngine:
        self.calls += 1
        self.started.set()
        assert self.release.wait(30), "the test never released the load"
        engine = self.real(*args, **kwargs)
        self.engines.append(engine)
        return engine


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> GatedLoads:
    gated = GatedLoads(engines.host.open_model.open_chat_model)
    monkeypatch.setattr(engines.host.open_model, "open_chat_model", gated)
    return gated


@pytest.fixture
def model(tiny_gguf: Path) -> InstalledModel:
    return ModelStore().add(tiny_gguf, name="Tiny Chat")


class Caller(threading.Thread):
    def __init__(self, service: TranslationService, model: InstalledModel) -> None:
        super().__init__(name="chat-model caller")
        self.service, self.model = service, model
        self.result: HostedChatEngine | BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.service.chat_model(Path(self.model.path), self.model.id)
        except BaseException as exc:
            self.result = exc


def test_close_does_not_wait_for_a_load_and_the_load_is_dropped(gate: GatedLoads, model: InstalledModel) -> None:
    service = TranslationService(ModelStore())
    caller = Caller(service, model)
    caller.start()
    assert gate.started.wait(10)
    closing = threading.Thread(target=service.close, name="closer")
    closing.start()
    closing.join(5)
    assert not closing.is_alive(), "close() waited for the chat model's load"
    assert caller.is_alive()  # the load is still held open
    gate.release.set()
    caller.join(30)
    assert isinstance(caller.result, EngineClosedError)
    assert len(gate.engines) == 1 and gate.engines[0].closed  # loaded after close(): freed, not kept
    engine = service.chat_model(Path(model.path), model.id)  # a new request loads it again
    assert not engine.closed and gate.calls == 2
    service.close()
    assert engine.closed


def test_concurrent_callers_share_one_load(gate: GatedLoads, model: InstalledModel) -> None:
    with TranslationService(ModelStore()) as service:
        callers = [Caller(service, model) for _ in range(3)]
        for caller in callers:
            caller.start()
        assert gate.started.wait(10)
        time.sleep(0.2)  # let the other callers reach the wait
        gate.release.set()
        for caller in callers:
            caller.join(30)
        assert gate.calls == 1
        results = {id(c.result) for c in callers}
        assert len(results) == 1 and isinstance(callers[0].result, HostedChatEngine)
        engine = callers[0].result
    assert engine.closed


def test_release_uninstalled_frees_a_removed_chat_model(gate: GatedLoads, model: InstalledModel) -> None:
    gate.release.set()
    store = ModelStore()
    with TranslationService(store) as service:
        engine = service.chat_model(Path(model.path), model.id)
        service.release_uninstalled()
        assert not engine.closed  # still installed
        store.remove(model.id, delete_files=False)
        service.release_uninstalled()
        assert engine.closed
