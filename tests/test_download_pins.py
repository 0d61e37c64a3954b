"""Pinned catalog downloads through the loopback fake hub: the card's hash is the judge, not the hub."""

from __future__ import annotations

import hashlib

import pytest
from fake_hub import FakeHub, make_blob

from engines.download import ChecksumMismatchError, Downloader, DownloadError, DownloadRequest, RetryPolicy
from engines.download.pins import learnt_sha256
from engines.paths import downloads_dir, models_dir
from engines.settings import Settings
from engines.store.model_store import ModelStore
from tests_support import pinned_card
from tiny_gguf import write_tiny_llama

REPO = "test-org/Pinned-GGUF"
FAST = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1, stall_timeout=0.5, connect_timeout=2.0)


@pytest.fixture
def hub(online_hub: FakeHub) -> FakeHub:
    return online_hub


@pytest.fixture
def gguf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_tiny_llama(tmp_path_factory.mktemp("pin") / "model.gguf").read_bytes()


def run(hub: FakeHub, request: DownloadRequest) -> None:
    Downloader(Settings(hf_endpoint=hub.url), ModelStore(), FAST).run(request)


def nothing_left(model_id: str) -> None:
    assert ModelStore().installed() == []
    assert not (models_dir() / model_id).exists()
    assert not list((downloads_dir() / model_id).rglob("*.part"))


def test_the_pinned_bytes_install(hub: FakeHub, gguf: bytes) -> None:
    hub.add_file(REPO, "model.gguf", gguf)
    card = pinned_card("pinned", REPO, {"model.gguf": gguf}, revision=hub.repos[REPO].commit)
    run(hub, DownloadRequest.from_card(card))
    (model,) = ModelStore().installed()
    assert model.sha256 == hashlib.sha256(gguf).hexdigest() and model.commit == hub.repos[REPO].commit


def test_other_bytes_under_the_same_name_are_refused(hub: FakeHub, gguf: bytes) -> None:
    """The hub now serves (and announces) different bytes for the pinned file: refused before any download."""
    changed = gguf[:-4] + b"\x00\x01\x02\x03"
    hub.add_file(REPO, "model.gguf", changed)
    card = pinned_card("pinned", REPO, {"model.gguf": gguf})
    with pytest.raises(DownloadError, match=r"refused: the catalog pins model\.gguf to sha256"):
        run(hub, DownloadRequest.from_card(card))
    assert not [e for e in hub.log if e.method == "GET" and e.server == "cdn"]  # not a byte fetched
    nothing_left("pinned")


def test_bytes_that_do_not_match_the_pin_are_deleted(hub: FakeHub, gguf: bytes) -> None:
    """A hub (or a proxy) that announces the pinned hash but sends other bytes: the .part goes, nothing installs."""
    hub.add_file(REPO, "model.gguf", gguf)
    hub.faults.corrupt_at = len(gguf) // 2
    card = pinned_card("pinned", REPO, {"model.gguf": gguf})
    with pytest.raises(ChecksumMismatchError, match="nothing was installed"):
        run(hub, DownloadRequest.from_card(card))
    nothing_left("pinned")


def test_a_different_size_is_refused(hub: FakeHub, gguf: bytes) -> None:
    hub.add_file(REPO, "model.gguf", gguf + b"extra")
    card = pinned_card("pinned", REPO, {"model.gguf": gguf})
    card = card.model_copy(update={"source": card.source.model_copy(update={"files": [
        card.source.files[0].model_copy(update={"sha256": "unknown"})], "revision": hub.repos[REPO].commit})})
    with pytest.raises(DownloadError, match=r"bytes but the hub now serves"):
        run(hub, DownloadRequest.from_card(card))
    nothing_left("pinned")


def test_an_unknown_hash_is_learnt_once_and_then_enforced(hub: FakeHub, gguf: bytes) -> None:
    hub.add_file(REPO, "model.gguf", gguf)
    commit = hub.repos[REPO].commit
    card = pinned_card("pinned", REPO, {"model.gguf": gguf}, revision=commit)
    card = card.model_copy(update={"source": card.source.model_copy(update={"files": [
        card.source.files[0].model_copy(update={"sha256": "unknown"})]})})
    request = DownloadRequest.from_card(card)
    assert request.files[0].sha256 is None
    run(hub, request)
    assert learnt_sha256(REPO, commit, "model.gguf") == hashlib.sha256(gguf).hexdigest()
    ModelStore().remove("pinned")
    # Same name, same size, other bytes: the hub's own hash no longer matches what the first download saw.
    other = make_blob(len(gguf), seed=7)
    hub.add_file(REPO, "model.gguf", other)
    with pytest.raises(DownloadError, match="refused"):
        run(hub, request)
    nothing_left("pinned")
