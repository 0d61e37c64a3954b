"""Settings fall back field by field, and offline mode fails safe (on) when the file is damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_hub import FakeHub

from engines.download import Downloader, DownloadRequest, OfflineError, WantedFile
from engines.settings import Settings, load_settings
from engines.store.model_store import ModelFormat, ModelStore


def _write(home: Path, content: object) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(text, encoding="utf-8")


def test_one_bad_field_keeps_the_others(candeia_home: Path) -> None:
    _write(candeia_home, {"offline": True, "threads": 0, "theme": "dark", "context_size": "lots",
                          "hf_endpoint": "https://mirror.example", "unknown": 1})
    settings = load_settings()
    assert settings.offline is True and settings.theme == "dark" and settings.hf_endpoint == "https://mirror.example"
    assert settings.threads == Settings().threads and settings.context_size == Settings().context_size


@pytest.mark.parametrize("content", ["{ broken", "[1, 2]", '"offline"', "null", b"\xff\xfe\x00".decode("latin-1")])
def test_a_file_that_cannot_be_read_keeps_offline_on(candeia_home: Path, content: str) -> None:
    _write(candeia_home, content)
    assert load_settings().offline is True


def test_an_unreadable_offline_value_means_offline(candeia_home: Path) -> None:
    _write(candeia_home, {"offline": "perhaps", "theme": "light"})
    settings = load_settings()
    assert settings.offline is True and settings.theme == "light"


def test_no_file_and_explicit_false_are_online(candeia_home: Path) -> None:
    assert load_settings().offline is False
    _write(candeia_home, {"offline": False, "threads": 0})
    assert load_settings().offline is False


def test_the_reported_case_downloads_nothing(
    candeia_home: Path, monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path
) -> None:
    monkeypatch.delenv("CANDEIA_OFFLINE")
    with FakeHub() as hub:
        hub.add_file("org/repo", "m.gguf", tiny_gguf.read_bytes())
        _write(candeia_home, {"offline": True, "threads": 0, "hf_endpoint": hub.url})
        request = DownloadRequest("org/repo", (WantedFile("m.gguf"),), "m", "M", ModelFormat.gguf)
        with pytest.raises(OfflineError):
            Downloader(store=ModelStore()).run(request)
        assert hub.log == []
