"""The downloader against the loopback fake hub, through huggingface_hub's real metadata calls."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from fake_hub import FakeHub, make_blob

from engines.download import (
    ChecksumMismatchError,
    DiskSpaceError,
    DownloadControl,
    Downloader,
    DownloadError,
    DownloadRequest,
    HubAccessError,
    InsecureEndpointError,
    NetworkError,
    RemoteNotFoundError,
    RetryPolicy,
    WantedFile,
)
from engines.download.staging import StagingPlan
from engines.download.transfer import CHUNK_SIZE
from engines.paths import downloads_dir, models_dir
from engines.settings import Settings
from engines.store.model_store import ModelFormat, ModelStore

REPO = "test-org/Tiny-GGUF"
FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2, stall_timeout=0.5, connect_timeout=2.0)


@pytest.fixture
def hub(online_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
    return online_hub


def downloader(hub: FakeHub, policy: RetryPolicy = FAST) -> Downloader:
    return Downloader(Settings(hf_endpoint=hub.url), ModelStore(), policy)


def gguf_request(model_id: str = "tiny", files: tuple[WantedFile, ...] | None = None) -> DownloadRequest:
    return DownloadRequest(
        repo=REPO,
        files=files or (WantedFile("tiny.gguf", "model"), WantedFile("mmproj-tiny.gguf", "mmproj")),
        model_id=model_id,
        name="Tiny",
        format=ModelFormat.gguf,
        card_id=model_id,
        tasks=("chat",),
    )


@pytest.fixture
def tiny_repo(hub: FakeHub, tiny_gguf: Path) -> bytes:
    data = tiny_gguf.read_bytes()
    hub.add_file(REPO, "tiny.gguf", data)
    hub.add_file(REPO, "mmproj-tiny.gguf", make_blob(300_000, seed=7))
    hub.add_file(REPO, "config.json", b'{"model_type": "llama"}\n', lfs=False)
    return data


def test_clean_download_installs_and_records_everything(hub: FakeHub, tiny_repo: bytes) -> None:
    model = downloader(hub).run(gguf_request())
    target = models_dir() / "tiny"
    assert Path(model.path) == target / "tiny.gguf"
    assert (target / "tiny.gguf").read_bytes() == tiny_repo
    assert model.sha256 == hashlib.sha256(tiny_repo).hexdigest()
    assert model.companions == {"mmproj": str(target / "mmproj-tiny.gguf")}
    assert model.commit == hub.repos[REPO].commit and model.repo == REPO
    assert set(model.file_hashes) == {"tiny.gguf", "mmproj-tiny.gguf"}
    assert not model.linked and model.card_id == "tiny"
    assert ModelStore().get("tiny") == model
    assert not (downloads_dir() / "tiny").exists()
    # Every file after the first is asked for at the resolved commit, never at "main" again.
    heads = [e.path for e in hub.log if e.method == "HEAD"]
    assert "/resolve/main/" in heads[0] and all(f"/resolve/{model.commit}/" in h for h in heads[1:])


def test_small_git_file_is_checked_against_its_blob_id(hub: FakeHub, tiny_repo: bytes) -> None:
    request = gguf_request(files=(WantedFile("tiny.gguf"), WantedFile("config.json", "config")))
    model = downloader(hub).run(request)
    assert model.file_hashes["config.json"] == hashlib.sha256(b'{"model_type": "llama"}\n').hexdigest()


def test_resume_after_a_dropped_connection_fetches_no_byte_twice(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.drop_at = [len(tiny_repo) // 2]
    model = downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))
    gets = hub.gets()
    assert [g.range_start for g in gets] == [None, len(tiny_repo) // 2]
    assert hub.sent_bytes("tiny.gguf?signature=fake") == len(tiny_repo)
    assert Path(model.path).read_bytes() == tiny_repo


def test_a_stall_is_detected_and_resumed(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.stall_at = [100_000]
    hub.faults.stall_seconds = 3.0
    started = time.monotonic()
    model = downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))
    assert time.monotonic() - started < 2.5  # gave up on the stalled connection after ~0.5 s
    assert len(hub.gets()) == 2 and hub.gets()[1].range_start is not None
    assert Path(model.path).read_bytes() == tiny_repo


def test_corruption_deletes_the_bytes_and_installs_nothing(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.corrupt_at = 12345
    with pytest.raises(ChecksumMismatchError, match=r"tiny\.gguf arrived damaged"):
        downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))
    assert ModelStore().installed() == []
    assert not (models_dir() / "tiny").exists()
    assert not list((downloads_dir() / "tiny").glob("*.part"))


def test_a_card_sha256_that_the_bytes_do_not_match_is_refused(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.add_file("test-org/git-only", "model.gguf", tiny_repo, lfs=False)  # no LFS sha256 from the hub
    request = DownloadRequest("test-org/git-only", (WantedFile("model.gguf", sha256="0" * 64),), "x", "X",
                              ModelFormat.gguf)
    with pytest.raises(ChecksumMismatchError, match="not the expected 0000"):
        downloader(hub).run(request)
    assert ModelStore().installed() == []


def test_429_waits_for_retry_after(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.get_statuses.append((429, {"Retry-After": "1"}))
    hub.faults.head_statuses.append((503, {}))
    started = time.monotonic()
    downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))
    assert time.monotonic() - started >= 1.0
    statuses = [(e.method, e.status) for e in hub.log]
    assert statuses[0] == ("HEAD", 503) and ("GET", 429) in statuses and statuses[-1] == ("GET", 200)


def test_persistent_500_gives_up_with_a_clear_message(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.get_statuses.extend([(500, {})] * 20)
    with pytest.raises(NetworkError, match="run the download again to resume"):
        downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))


def test_404_and_missing_repo_and_gated_repo_stop_at_once(hub: FakeHub, tiny_repo: bytes) -> None:
    with pytest.raises(RemoteNotFoundError, match=f"{REPO} has no file 'missing.gguf'"):
        downloader(hub).run(gguf_request(files=(WantedFile("missing.gguf"),)))
    request = DownloadRequest("nobody/nothing", (WantedFile("a.gguf"),), "a", "A", ModelFormat.gguf)
    with pytest.raises(HubAccessError, match=r"does not exist .* or is private"):
        downloader(hub).run(request)
    hub.add_file("meta/gated", "g.gguf", b"x" * 10, gated=True)
    gated = DownloadRequest("meta/gated", (WantedFile("g.gguf"),), "g", "G", ModelFormat.gguf)
    with pytest.raises(HubAccessError, match=r"gated repository.*hf auth login"):
        Downloader(Settings(hf_endpoint=hub.url), ModelStore(), FAST, token=False).run(gated)
    assert sum(1 for e in hub.log if e.status in (401, 403, 404)) == 3  # no retries


def test_server_without_range_support_starts_again(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.ignore_range = True
    hub.faults.drop_at = [50_000]
    model = downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)))
    assert Path(model.path).read_bytes() == tiny_repo


def test_plain_http_to_another_machine_is_refused_before_any_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANDEIA_OFFLINE")
    request = gguf_request()
    with pytest.raises(InsecureEndpointError, match="plain http"):
        Downloader(Settings(hf_endpoint="http://mirror.example.org"), ModelStore(), FAST).run(request)


def test_pause_and_cancel_from_another_thread(hub: FakeHub, tiny_repo: bytes) -> None:
    hub.faults.throttle = 400_000
    control = DownloadControl()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            downloader(hub).run(gguf_request(files=(WantedFile("tiny.gguf"),)), control)
        except BaseException as exc:
            errors.append(exc)

    part = downloads_dir() / "tiny" / "tiny.gguf.part"
    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    while (not part.exists() or part.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    control.pause()
    worker.join(5)
    assert type(errors[0]).__name__ == "DownloadPaused"
    kept = part.stat().st_size
    assert 0 < kept < len(tiny_repo)
    control.resume()
    errors.clear()
    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.2)
    control.cancel()
    worker.join(5)
    assert type(errors[0]).__name__ == "DownloadCancelled"
    assert not (downloads_dir() / "tiny").exists()
    assert hub.gets()[1].range_start == kept  # the resumed run continued where the pause left off


def test_chunk_size_is_what_a_crash_can_lose() -> None:
    assert CHUNK_SIZE <= 4 << 20


def test_a_card_resumes_as_one_unit_without_refetching_finished_files(
    hub: FakeHub, tiny_repo: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    mmproj = hub.repos[REPO].files["mmproj-tiny.gguf"]
    record_done = StagingPlan.record_done

    def stop_after_first_file(plan: StagingPlan, path: str, sha256: str) -> None:
        record_done(plan, path, sha256)
        if path == "tiny.gguf":
            hub.faults.get_statuses.extend([(500, {})] * 20)

    with monkeypatch.context() as patch, pytest.raises(NetworkError):
        patch.setattr(StagingPlan, "record_done", stop_after_first_file)
        downloader(hub).run(gguf_request())
    assert ModelStore().installed() == []  # nothing half-installed
    hub.faults.get_statuses.clear()
    before = len(hub.gets())
    model = downloader(hub).run(gguf_request())
    fetched_now = [g.path for g in hub.gets()[before:]]
    assert fetched_now and all("mmproj" in p for p in fetched_now)
    assert Path(model.companions["mmproj"]).read_bytes() == mmproj.data
    assert model.file_hashes["tiny.gguf"] == hashlib.sha256(tiny_repo).hexdigest()


def test_free_space_is_checked_before_any_byte_is_fetched(
    hub: FakeHub, tiny_repo: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil as shutil_module
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DiskSpaceError, match="not enough disk space"):
        downloader(hub).run(gguf_request())
    assert hub.gets() == [] and ModelStore().installed() == []


def test_a_bad_tls_certificate_is_refused_at_once(
    hub: FakeHub, tiny_repo: bytes, tmp_path: Path
) -> None:
    import shutil as shutil_module
    import ssl
    import subprocess

    if not shutil_module.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for server in hub._servers:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    https = hub.url.replace("http://", "https://")
    with pytest.raises(DownloadError, match=r"TLS certificate .* is not valid"):
        Downloader(Settings(hf_endpoint=https), ModelStore(), FAST).run(gguf_request())
    assert ModelStore().installed() == []


def test_one_model_is_downloaded_by_one_process_at_a_time(hub: FakeHub, tiny_repo: bytes) -> None:
    from filelock import FileLock

    with FileLock(str(downloads_dir() / "tiny") + ".lock"), pytest.raises(DownloadError, match="already being"):
        downloader(hub).run(gguf_request())
    assert downloader(hub).run(gguf_request()).id == "tiny"
