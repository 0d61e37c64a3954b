"""Offline mode is checked before every connection, not only before the first file."""

from __future__ import annotations

import pytest
from fake_hub import FakeHub, make_blob

from engines.download import (
    Downloader,
    DownloadManager,
    DownloadProgress,
    DownloadRequest,
    JobStatus,
    OfflineError,
    RetryPolicy,
)
from engines.download.request import WantedFile
from engines.download.staging import StagingPlan
from engines.paths import downloads_dir
from engines.settings import Settings, save_settings
from engines.store.model_store import ModelFormat, ModelStore

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, stall_timeout=2.0, connect_timeout=2.0)
REPO = "org/two"


@pytest.fixture
def hub(online_hub: FakeHub) -> FakeHub:
    online_hub.add_file(REPO, "first.onnx", make_blob(200_000, seed=1))
    online_hub.add_file(REPO, "second.onnx", make_blob(200_000, seed=2))
    return online_hub


def _request() -> DownloadRequest:
    return DownloadRequest(REPO, (WantedFile("first.onnx"), WantedFile("second.onnx")), "two", "Two",
                           ModelFormat.onnx)


def _gets(hub: FakeHub, name: str, server: str = "cdn") -> int:
    """GETs of a file's bytes (the hub answers LFS files with a redirect to the CDN origin)."""
    return sum(1 for e in hub.log if e.method == "GET" and e.server == server and e.path.split("?")[0].endswith(name))


def _switch_offline_after_first_file(monkeypatch: pytest.MonkeyPatch, switch: object) -> None:
    original = StagingPlan.record_done

    def record_done(self: StagingPlan, path: str, sha256: str) -> None:
        original(self, path, sha256)
        switch()  # type: ignore[operator]

    monkeypatch.setattr(StagingPlan, "record_done", record_done)


def test_switching_offline_on_stops_the_next_connection(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(hf_endpoint=hub.url)
    _switch_offline_after_first_file(monkeypatch, lambda: setattr(settings, "offline", True))
    with pytest.raises(OfflineError):
        Downloader(settings, ModelStore(), FAST).run(_request())
    assert _gets(hub, "first.onnx") >= 1 and _gets(hub, "second.onnx") == 0
    assert (downloads_dir() / "two" / "first.onnx").is_file()  # kept: the download resumes later


def test_offline_set_in_the_settings_file_stops_a_command_line_download(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_settings(Settings(hf_endpoint=hub.url))
    _switch_offline_after_first_file(monkeypatch, lambda: save_settings(Settings(hf_endpoint=hub.url, offline=True)))
    with pytest.raises(OfflineError):
        Downloader(store=ModelStore(), policy=FAST).run(_request())  # no settings given: it reads the file
    assert _gets(hub, "second.onnx") == 0


def test_offline_stops_a_retry_after_a_dropped_connection(hub: FakeHub) -> None:
    settings = Settings(hf_endpoint=hub.url)
    hub.faults.drop_at = [100_000]
    seen: list[int] = []

    def progress(event: DownloadProgress) -> None:
        if event.done:
            seen.append(event.done)
            settings.offline = True  # bytes arrived: the connection that drops next must not be made again

    request = DownloadRequest(REPO, (WantedFile("first.onnx"),), "one", "One", ModelFormat.onnx)
    with pytest.raises(OfflineError):
        Downloader(settings, ModelStore(), FAST).run(request, on_progress=progress)
    assert seen and _gets(hub, "first.onnx") == 1  # no second GET after the drop


def test_a_queued_job_stopped_by_offline_mode_keeps_its_files(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(hf_endpoint=hub.url)
    _switch_offline_after_first_file(monkeypatch, lambda: setattr(settings, "offline", True))
    with DownloadManager(Downloader(settings, ModelStore(), FAST)) as manager:
        job = manager.submit(_request())
        assert job.wait(30)
    assert job.status is JobStatus.failed and isinstance(job.error, OfflineError)
    assert (downloads_dir() / "two" / "first.onnx").is_file()
