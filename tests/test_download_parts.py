"""The pieces a download is made of: the staging plan, a job's events, the store's registration."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import gguf
import numpy as np
import pytest

from engines.download import DownloadControl, Downloader, DownloadManager, DownloadRequest, JobStatus, WantedFile
from engines.download.connection import Retryable, check_content_range
from engines.download.errors import DiskSpaceError, DownloadError, DownloadPaused
from engines.download.hash_pipe import BufferedSink, Hashers
from engines.download.progress import ProgressCallback
from engines.download.staging import PLAN_FILE, StagingPlan
from engines.errors import InvalidModelFileError
from engines.gguf.info import read_gguf, require_model
from engines.security.safe_names import UnsafeNameError
from engines.store.model_store import Download, InstalledModel, ModelFormat, ModelStore


def write_projector(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_tensor("mm.0.weight", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# -- StagingPlan -------------------------------------------------------------------------------------
def test_the_plan_pins_a_commit_per_repo_and_records_finished_files(tmp_path: Path) -> None:
    plan = StagingPlan(tmp_path)
    assert plan.pinned_commit("org/a") is None and plan.done() == {}
    plan.pin("org/a", "c0ffee", "a")
    plan.record_done("x.gguf", "1" * 64)
    plan.pin("org/a", "c0ffee", "a")  # a resumed run pins again: what is done stays recorded
    again = StagingPlan(tmp_path)
    assert again.pinned_commit("org/a") == "c0ffee"
    assert again.pinned_commit("org/other") is None  # another repository's commit is never reused
    assert again.done() == {"x.gguf": "1" * 64}
    again.forget()
    assert not (tmp_path / PLAN_FILE).exists() and again.done() == {}


def test_a_damaged_plan_is_ignored_not_fatal(tmp_path: Path) -> None:
    (tmp_path / PLAN_FILE).write_text('["not", "an", "object"]', encoding="utf-8")
    assert StagingPlan(tmp_path).pinned_commit("org/a") is None
    (tmp_path / PLAN_FILE).write_text("{torn", encoding="utf-8")
    plan = StagingPlan(tmp_path)
    assert plan.done() == {}
    plan.record_done("a.onnx", "2" * 64)  # rewrites it whole
    assert plan.done() == {"a.onnx": "2" * 64}


def test_staged_paths_stay_inside_the_folder_and_count_what_is_on_disk(tmp_path: Path) -> None:
    plan = StagingPlan(tmp_path / "m")
    with pytest.raises(UnsafeNameError):
        plan.final("../escape.gguf")
    assert plan.part("sub/model.onnx") == tmp_path / "m" / "sub" / "model.onnx.part"
    plan.folder.mkdir()
    plan.part("a.gguf").write_bytes(b"x" * 10)  # partial
    plan.final("b.gguf").write_bytes(b"y" * 7)  # finished and recorded
    plan.final("c.gguf").write_bytes(b"z" * 5)  # finished but never recorded: not counted
    plan.record_done("b.gguf", "3" * 64)
    assert plan.bytes_on_disk(["a.gguf", "b.gguf", "c.gguf"]) == 17
    plan.discard()
    assert not plan.folder.exists()


# -- a job's events --------------------------------------------------------------------------------
class ScriptedDownloader(Downloader):
    """Waits for a pause the first time (then stops, as the transfer would) and succeeds after."""

    def __init__(self) -> None:
        super().__init__()
        self.runs = 0
        self.model = InstalledModel(id="m", name="M", format=ModelFormat.gguf, path="/x/m.gguf", linked=False,
                                    size=1)

    def run(self, request: DownloadRequest, control: DownloadControl | None = None,
            on_progress: ProgressCallback | None = None) -> InstalledModel:
        assert control is not None
        self.runs += 1
        if self.runs == 1:
            while not control.paused:
                threading.Event().wait(0.01)
            raise DownloadPaused("paused")
        return self.model

    def discard(self, request: DownloadRequest) -> None:
        pass


def request() -> DownloadRequest:
    return DownloadRequest("org/m", (WantedFile("m.gguf"),), "m", "M", ModelFormat.gguf)


def test_on_status_reports_every_change_and_may_act_on_the_job() -> None:
    seen: list[JobStatus] = []
    done = threading.Event()

    def on_status(job: object) -> None:
        from engines.download import DownloadJob

        assert isinstance(job, DownloadJob)
        seen.append(job.status)
        if job.status is JobStatus.running and seen.count(JobStatus.running) == 1:
            job.pause()  # from inside the event: the job's lock is reentrant
        elif job.status is JobStatus.paused:
            job.resume()
        elif job.finished:
            done.set()

    downloader = ScriptedDownloader()
    with DownloadManager(downloader, max_parallel=1) as manager:
        job = manager.submit(request(), on_status=on_status)
        assert job.wait(10) and done.wait(10)
    assert seen == [JobStatus.running, JobStatus.paused, JobStatus.queued, JobStatus.running, JobStatus.done]
    assert job.result is downloader.model and job.error is None and downloader.runs == 2


def test_a_cancelled_parked_job_finishes_cancelled() -> None:
    statuses: list[JobStatus] = []
    with DownloadManager(ScriptedDownloader(), max_parallel=1) as manager:
        job = manager.submit(request(), on_status=lambda j: statuses.append(j.status))
        while job.status is not JobStatus.running:
            threading.Event().wait(0.01)
        job.pause()
        while job.status is not JobStatus.paused:
            threading.Event().wait(0.01)
        job.cancel()
        assert job.wait(10)
    assert job.status is JobStatus.cancelled and statuses[-1] is JobStatus.cancelled


# -- the store registers a finished download ----------------------------------------------------------
def test_the_store_registers_a_download_from_its_files(tmp_path: Path, tiny_gguf: Path) -> None:
    folder = tmp_path / "dl"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(tiny_gguf, folder / "sub" / "model.gguf")
    write_projector(folder / "mmproj.gguf")
    download = Download(model_id="dl", name="DL", card_id="card", tasks=["chat", "caption"], repo="org/dl",
                        commit="abc", file_hashes={"sub/model.gguf": "a" * 64, "mmproj.gguf": "b" * 64},
                        main_file="sub/model.gguf", companions={"mmproj": "mmproj.gguf"})
    model = ModelStore().register_download(folder, download)
    assert model.format is ModelFormat.gguf and model.architecture == "llama"
    assert model.path == str(folder / "sub" / "model.gguf") and not model.linked
    assert model.size == tiny_gguf.stat().st_size + (folder / "mmproj.gguf").stat().st_size
    assert model.sha256 == "a" * 64 and model.companions == {"mmproj": str(folder / "mmproj.gguf")}
    assert model.tasks == ["chat", "caption"] and model.commit == "abc" and model.card_id == "card"
    assert ModelStore().get("dl") == model


def test_a_projector_is_never_registered_as_the_model(tmp_path: Path) -> None:
    projector = write_projector(tmp_path / "mmproj.gguf")
    download = Download(model_id="p", name="P", card_id=None, tasks=["chat"], repo="org/p", commit="c",
                        file_hashes={"mmproj.gguf": "c" * 64}, main_file="mmproj.gguf")
    with pytest.raises(InvalidModelFileError, match=r"is a vision projector \(mmproj, 'clip'\), not a model"):
        ModelStore().register_download(tmp_path, download)
    assert ModelStore().installed() == []
    with pytest.raises(InvalidModelFileError, match="not a chat model; pick the other file"):
        require_model(read_gguf(projector), "chat model", "; pick the other file")


# -- the transfer's two halves ---------------------------------------------------------------------
def test_the_sink_writes_and_hashes_what_arrived_even_when_the_body_stops_early(tmp_path: Path) -> None:
    part = tmp_path / "f.part"
    hashers = Hashers(git_blob_size=None)
    written: list[tuple[int, int]] = []
    with part.open("w+b", buffering=0) as fh:
        fh.write(b"ab")  # an earlier run's bytes, hashed once before the body streams
        hashers.hash_prefix(part, 2)
        sink = BufferedSink(fh, part, hashers, 2, lambda offset, count: written.append((offset, count)))
        sink.space(3)[:3] = b"cde"
        sink.received(3)
        sink.flush()
        sink.space(2)[:2] = b"fg"  # received but not flushed when the connection drops
        sink.received(2)
        sink.close()
    assert part.read_bytes() == b"abcdefg" and sink.offset == 7
    assert written == [(5, 3), (7, 2)]
    assert hashers.sha256.hexdigest() == hashlib.sha256(b"abcdefg").hexdigest()


def test_a_failed_write_is_not_written_again_on_close(tmp_path: Path) -> None:
    part = tmp_path / "f.part"
    calls: list[bytes] = []

    def failing_write(fh: object, view: memoryview, path: Path) -> None:
        calls.append(bytes(view))
        raise DiskSpaceError("the disk is full")

    with part.open("w+b", buffering=0) as fh:
        sink = BufferedSink(fh, part, Hashers(None), 0, lambda offset, count: None, write=failing_write)
        sink.space(4)[:4] = b"data"
        sink.received(4)
        with pytest.raises(DiskSpaceError):
            sink.flush()
        sink.close()
    assert calls == [b"data"]


def test_content_range_must_resume_where_asked_and_keep_the_size() -> None:
    check_content_range("bytes 100-199/200", 100, 200, "f")
    check_content_range("bytes 100-199/*", 100, None, "f")
    with pytest.raises(Retryable, match="wrong byte"):
        check_content_range("bytes 0-199/200", 100, 200, "f")
    with pytest.raises(Retryable, match="malformed"):
        check_content_range("bytes x-y/200", 100, 200, "f")
    with pytest.raises(DownloadError, match="changed size"):
        check_content_range("bytes 100-299/300", 100, 200, "f")
