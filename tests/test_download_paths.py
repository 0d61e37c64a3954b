"""A download reference, a hub file path or a model id can never put a file outside the data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_hub import FakeHub

from engines.cli.main import main
from engines.download import Downloader, DownloadRequest, RetryPolicy, WantedFile
from engines.download.request import BadReferenceError, parse_hub_ref, request_for_hub_file
from engines.errors import StoreError
from engines.paths import downloads_dir
from engines.settings import Settings, save_settings
from engines.store.model_store import ModelFormat, ModelStore

FAST = RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.05, stall_timeout=2.0, connect_timeout=2.0)

ESCAPING_REFS = [
    "hf.co/org/repo/a%2F..%2F..%2F..%2F..%2Fvictim%2Fmine.gguf",  # the reported attack: '/' encoded
    "hf.co/org/repo/%2E%2E%2F%2E%2E%2Fmine.gguf",  # '.' and '/' encoded
    "hf.co/org/repo/%2E%2E/mine.gguf",
    "hf.co/org/repo/a%5C..%5C..%5Cmine.gguf",  # backslashes: separators on Windows
    "hf.co/org/repo/C:%5CUsers%5Cme%5Cmine.gguf",  # a drive letter: absolute on Windows
    "hf.co/org/repo/C:/mine.gguf",
    "hf.co/org/repo/%2Fetc%2Fmine.gguf",  # an absolute path after decoding
    "hf.co/org/repo/dir/..%2F..%2Fmine.gguf",
    "hf.co/org/repo/a%00b.gguf",  # a NUL byte
    "hf.co/org/repo/nul.gguf",  # a Windows device
    "hf.co/org/repo/trailing.%20/mine.gguf",  # Windows trims the dot and space
    "https://huggingface.co/org/repo/resolve/..%2F..%2Fx/mine.gguf",  # a revision that walks up
]


@pytest.mark.parametrize("ref", ESCAPING_REFS)
def test_references_that_escape_are_refused(ref: str) -> None:
    with pytest.raises(BadReferenceError):
        request_for_hub_file(ref)


def test_ordinary_references_still_parse() -> None:
    assert parse_hub_ref("hf.co/org/repo/sub/dir/model-Q4_K_M.gguf") == ("org/repo", "sub/dir/model-Q4_K_M.gguf", None)
    assert parse_hub_ref("https://huggingface.co/org/repo/resolve/refs%2Fpr%2F3/m.gguf") == (
        "org/repo", "m.gguf", "refs/pr/3")
    assert parse_hub_ref("hf.co/org/repo/a%20b.gguf")[1] == "a b.gguf"


@pytest.mark.parametrize("model_id", ["../../escaped", "..", ".", "a/b", "a\\b", "C:x", "", "-x", "x.", "nul",
                                      "com1.gguf", "a" * 129, "tab\tid"])
def test_bad_model_ids_are_refused(model_id: str) -> None:
    from engines.security.safe_names import UnsafeNameError, check_model_id

    with pytest.raises(UnsafeNameError):
        check_model_id(model_id)
    with pytest.raises(BadReferenceError, match="not a valid model id"):
        request_for_hub_file("hf.co/org/repo/model.gguf", model_id or "..")


def test_good_ids_and_paths_pass() -> None:
    from engines.security.safe_names import check_model_id, check_relative_path

    assert check_model_id("qwen2.5-0.5b-instruct_Q4") == "qwen2.5-0.5b-instruct_Q4"
    assert check_relative_path("onnx/decoder_model_merged.onnx") == "onnx/decoder_model_merged.onnx"
    assert check_relative_path("...config.json") == "...config.json"  # dots inside a name are only a name


def test_requests_and_files_check_themselves() -> None:
    for bad in ("../x.gguf", "a/../../x.gguf", "/abs.gguf", "a\\b.gguf", "d:x.gguf", "a//b.gguf"):
        with pytest.raises(BadReferenceError):
            WantedFile(bad)
    with pytest.raises(BadReferenceError):
        DownloadRequest("org/repo", (WantedFile("x.gguf"),), "../../escaped", "X", ModelFormat.gguf)


def test_a_link_inside_staging_cannot_lead_out(tmp_path: Path) -> None:
    from engines.security.safe_names import UnsafeNameError, path_inside

    base = tmp_path / "staging"
    base.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", base / "link")
    with pytest.raises(UnsafeNameError, match="outside"):
        path_inside(base, "link", "model.gguf")
    assert path_inside(base, "sub", "model.gguf") == base / "sub" / "model.gguf"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with FakeHub() as server:
        server.add_file("org/repo", "model.gguf", tiny_gguf.read_bytes())
        save_settings(Settings(hf_endpoint=server.url))
        yield server


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_cli_download_with_an_escaping_id_writes_nothing_outside(
    hub: FakeHub, candeia_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = candeia_home.parent
    before = _files_under(outside) - _files_under(candeia_home)
    code = main(["models", "download", "hf.co/org/repo/model.gguf", "--id", "../../escaped", "-q"])
    assert code == 1 and "not a valid model id" in capsys.readouterr().err
    assert _files_under(outside) - _files_under(candeia_home) == before
    assert not (outside / "escaped").exists() and not (outside.parent / "escaped").exists()
    assert hub.log == []  # refused before any connection


def test_cli_download_of_an_encoded_traversal_writes_nothing(
    hub: FakeHub, candeia_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = candeia_home.parent / "victim" / "mine.gguf"
    victim.parent.mkdir()
    victim.write_bytes(b"the user's own file")
    hub.add_file("org/repo", "a/../../../../victim/mine.gguf", hub.repos["org/repo"].files["model.gguf"].data)
    code = main(["models", "download", "hf.co/org/repo/a%2F..%2F..%2F..%2F..%2Fvictim%2Fmine.gguf", "-q"])
    assert code == 1 and "not allowed" in capsys.readouterr().err
    assert victim.read_bytes() == b"the user's own file"
    assert hub.log == []


def test_downloader_refuses_a_request_that_dodged_validation(hub: FakeHub) -> None:
    request = DownloadRequest("org/repo", (WantedFile("model.gguf"),), "fine", "Fine", ModelFormat.gguf)
    object.__setattr__(request, "model_id", "../outside")  # frozen: only a bug could do this
    with pytest.raises(ValueError, match="not a valid model id"):
        Downloader(Settings(hf_endpoint=hub.url), ModelStore(), FAST).run(request)
    assert not (downloads_dir().parent / "outside").exists() and hub.log == []


def test_models_add_copy_refuses_an_escaping_id(tiny_gguf: Path, candeia_home: Path) -> None:
    with pytest.raises(StoreError, match="not a valid model id"):
        ModelStore().add(tiny_gguf, copy=True, model_id="../../escaped")
    assert not (candeia_home.parent / "escaped").exists()
