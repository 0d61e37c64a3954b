"""Download status reaches the GUI by signal, as the job changes it: no timer polls the jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_hub import FakeHub
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from desktop.downloads import DownloadCenter
from engines.download import JobStatus
from engines.settings import Settings, load_settings, save_settings
from engines.store.model_store import ModelStore
from tests_support import pinned_card


def test_status_changes_arrive_by_signal(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> None:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    started: list[QTimer] = []
    real_start = QTimer.start

    def spy(self: QTimer, *args: object) -> None:
        if isinstance(self.parent(), DownloadCenter):  # qtbot's own waiting uses timers too
            started.append(self)
        real_start(self, *args)

    monkeypatch.setattr(QTimer, "start", spy)
    data = tiny_gguf.read_bytes()
    with FakeHub() as hub:
        hub.add_file("test/tiny", "tiny.gguf", data)
        hub.faults.throttle = 200_000  # slow enough to pause while it runs
        save_settings(Settings(hf_endpoint=hub.url))
        center = DownloadCenter(load_settings(), ModelStore())
        seen: list[JobStatus | None] = []
        center.status_changed.connect(lambda card_id: seen.append(center.status(card_id)))
        try:
            center.start(pinned_card("tiny-dl", "test/tiny", {"tiny.gguf": data}))
            qtbot.waitUntil(lambda: JobStatus.running in seen, timeout=10_000)
            center.pause("tiny-dl")
            qtbot.waitUntil(lambda: seen[-1] is JobStatus.paused, timeout=10_000)
            hub.faults.throttle = None
            with qtbot.waitSignal(center.installed, timeout=20_000) as installed:
                center.resume("tiny-dl")
            assert not center.findChildren(QTimer)
        finally:
            center.shutdown()
    assert installed.args == ["tiny-dl"]
    assert seen[-1] is JobStatus.done
    assert seen.index(JobStatus.running) < seen.index(JobStatus.paused)
    assert not started  # every change came as a signal: nothing polled the jobs
