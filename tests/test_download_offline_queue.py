"""Offline mode opens no socket; the queue runs at most two downloads and obeys pause/resume/cancel."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_hub import FakeHub, make_blob

from engines.cli.main import main
from engines.download import (
    Downloader,
    DownloadManager,
    DownloadRequest,
    JobStatus,
    OfflineError,
    RetryPolicy,
    WantedFile,
)
from engines.download.request import BadReferenceError, parse_hub_ref, request_for_hub_file
from engines.paths import downloads_dir
from engines.settings import Settings
from engines.store.model_store import ModelFormat, ModelStore

_connects: list[Any] = []
_recording = [False]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording[0] and event in ("socket.connect", "socket.getaddrinfo"):
        _connects.append((event, args))


sys.addaudithook(_audit)  # hooks cannot be removed; this one records only inside the offline test


@pytest.fixture
def audit() -> Iterator[list[Any]]:
    _connects.clear()
    _recording[0] = True
    yield _connects
    _recording[0] = False


def test_offline_mode_opens_no_socket(audit: list[Any], capsys: pytest.CaptureFixture[str]) -> None:
    request = DownloadRequest("Qwen/Qwen2.5-0.5B-Instruct-GGUF", (WantedFile("x.gguf"),), "x", "X", ModelFormat.gguf)
    with pytest.raises(OfflineError, match="offline mode"):
        Downloader(Settings(hf_endpoint="https://huggingface.co")).run(request)
    assert main(["models", "download", "qwen2.5-0.5b-instruct-q4_k_m"]) == 1
    assert "offline mode" in capsys.readouterr().err
    assert audit == []


def test_offline_setting_alone_is_enough(monkeypatch: pytest.MonkeyPatch, audit: list[Any]) -> None:
    monkeypatch.delenv("CANDEIA_OFFLINE")
    request = DownloadRequest("a/b", (WantedFile("x.gguf"),), "x", "X", ModelFormat.gguf)
    with pytest.raises(OfflineError):
        Downloader(Settings(offline=True, hf_endpoint="http://127.0.0.1:9")).run(request)
    assert audit == []


@pytest.fixture
def slow_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    with FakeHub() as hub:
        for index in range(3):
            hub.add_file(f"org/m{index}", "weights.onnx", make_blob(600_000, seed=index))
        hub.faults.throttle = 1_000_000
        yield hub


def _request(index: int) -> DownloadRequest:
    return DownloadRequest(f"org/m{index}", (WantedFile("weights.onnx"),), f"m{index}", f"M{index}", ModelFormat.onnx)


class CountingDownloader(Downloader):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def run(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return super().run(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_queue_runs_two_at_once_and_obeys_pause_resume_cancel(slow_hub: FakeHub) -> None:
    policy = RetryPolicy(base_delay=0.05, stall_timeout=2.0)
    events: list[Any] = []
    downloader = CountingDownloader(Settings(hf_endpoint=slow_hub.url), ModelStore(), policy)
    with DownloadManager(downloader) as manager:
        jobs = [manager.submit(_request(i), events.append) for i in range(3)]
        wait_for(lambda: jobs[0].status is JobStatus.running and jobs[1].status is JobStatus.running)
        part = downloads_dir() / "m0" / "weights.onnx.part"
        wait_for(lambda: part.exists() and part.stat().st_size > 0)
        assert jobs[2].status is JobStatus.queued  # the third waits for a free slot
        jobs[0].pause()
        wait_for(lambda: jobs[0].status is JobStatus.paused)
        wait_for(lambda: jobs[2].status is not JobStatus.queued)  # the paused job gave its slot away
        jobs[1].cancel()
        assert jobs[1].wait(5) and jobs[1].status is JobStatus.cancelled
        jobs[0].resume()
        for job in (jobs[0], jobs[2]):
            assert job.wait(20), job.status
    # The ONNX "model" is random bytes, so installing it fails validation after the verified download.
    assert jobs[0].status is JobStatus.failed and "not a usable ONNX model" in str(jobs[0].error)
    assert downloader.most == 2
    assert not (downloads_dir() / "m1").exists()  # cancelling deleted the partial files
    resumed = [g for g in slow_hub.gets() if g.path.startswith("/cdn/org/m0/")]
    assert len(resumed) == 2 and resumed[1].range_start  # the pause kept the bytes; resume continued
    assert events and all(e.total == 600_000 for e in events)
    done = [e.done for e in events if e.model_id == "m2"]
    assert done == sorted(done)


def test_progress_events_are_throttled(slow_hub: FakeHub) -> None:
    slow_hub.faults.throttle = 3_000_000
    times: list[float] = []
    with DownloadManager(Downloader(Settings(hf_endpoint=slow_hub.url), ModelStore())) as manager:
        job = manager.submit(_request(0), lambda e: times.append(time.monotonic()))
        assert job.wait(20)
    gaps = [b - a for a, b in itertools.pairwise(times[:-1])]  # the last event is the forced final one
    assert times and all(g >= 0.09 for g in gaps)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("hf.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf",
         ("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf", None)),
        ("https://huggingface.co/bartowski/X-GGUF/resolve/abc123/sub/dir/x-Q4_K_M.gguf",
         ("bartowski/X-GGUF", "sub/dir/x-Q4_K_M.gguf", "abc123")),
        ("huggingface.co/a/b/blob/main/c.gguf", ("a/b", "c.gguf", "main")),
    ],
)
def test_hub_references(ref: str, expected: tuple[str, str, str | None]) -> None:
    assert parse_hub_ref(ref) == expected


@pytest.mark.parametrize("ref", ["hf.co/a/b", "example.com/a/b/c.gguf", "hf.co/a/b/../c.gguf"])
def test_bad_hub_references(ref: str) -> None:
    with pytest.raises(BadReferenceError):
        parse_hub_ref(ref)


def test_single_hub_files_must_be_gguf() -> None:
    with pytest.raises(BadReferenceError, match=r"not a \.gguf file"):
        request_for_hub_file("hf.co/a/b/model.onnx")
    assert request_for_hub_file("hf.co/a/b/My-Model.Q4_K_M.gguf").model_id == "my-model.q4_k_m"


def test_state_of_a_different_remote_file_is_not_resumed(tmp_path: Path) -> None:
    from engines.download.hub_meta import RemoteFile
    from engines.download.state import FileState

    remote = RemoteFile("a/b", "f", "u", "c" * 40, 10, "e", "s" * 64, None)
    a = FileState.for_remote(remote, "s" * 64)
    b = FileState.for_remote(RemoteFile("a/b", "f", "u", "d" * 40, 10, "e2", "t" * 64, None), "t" * 64)
    assert a.same_bytes(FileState.for_remote(remote, "s" * 64)) and not a.same_bytes(b)
