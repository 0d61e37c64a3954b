"""The model store: link or copy, stable ids, atomic manifest, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engines.errors import InvalidModelFileError, ModelNotFoundError, StoreError
from engines.store.model_store import ModelStore
from engines.store.models import resolve_model


def test_link_in_place_and_list(tiny_gguf: Path, candeia_home: Path) -> None:
    store = ModelStore()
    model = store.add(tiny_gguf)
    assert model.id == "tiny-chat" and model.linked and model.path == str(tiny_gguf.resolve())
    assert model.architecture == "llama" and model.format.value == "gguf" and model.tasks == ["chat"]
    assert [m.id for m in ModelStore().installed()] == ["tiny-chat"]
    manifest = json.loads((candeia_home / "models.json").read_text())
    assert manifest["models"][0]["id"] == "tiny-chat"
    # Adding the same file again returns the existing entry instead of a duplicate.
    assert store.add(tiny_gguf).id == "tiny-chat"
    assert len(store.installed()) == 1


def test_copy_gets_its_own_file_and_unique_id(tiny_gguf: Path, candeia_home: Path) -> None:
    store = ModelStore()
    store.add(tiny_gguf)
    copied = store.add(tiny_gguf, copy=True)
    assert copied.id == "tiny-chat-2" and not copied.linked
    assert Path(copied.path).is_relative_to(candeia_home)
    assert Path(copied.path).read_bytes() == tiny_gguf.read_bytes()
    assert not list(candeia_home.rglob("*.part"))


def test_remove_deletes_owned_files_but_never_linked_ones(tiny_gguf: Path) -> None:
    store = ModelStore()
    linked = store.add(tiny_gguf)
    copied = store.add(tiny_gguf, copy=True, model_id="mine")
    store.remove(copied.id)
    assert not Path(copied.path).exists()
    store.remove(linked.id)
    assert tiny_gguf.exists()
    assert store.installed() == []
    with pytest.raises(ModelNotFoundError):
        store.remove("nope")


def test_invalid_files_are_not_registered(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nonsense" * 10)
    store = ModelStore()
    with pytest.raises(InvalidModelFileError, match="not a GGUF"):
        store.add(bad)
    with pytest.raises(InvalidModelFileError, match="does not exist"):
        store.add(tmp_path / "missing.gguf")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(InvalidModelFileError, match=r"no \.onnx"):
        store.add(empty_dir)
    assert store.installed() == []


def test_onnx_folder_is_registered(tmp_path: Path) -> None:
    folder = tmp_path / "opus-mt-xx"
    folder.mkdir()
    (folder / "encoder_model.onnx").write_bytes(b"\x08\x07" + b"\x00" * 30)
    (folder / "config.json").write_text('{"model_type": "marian"}')
    model = ModelStore().add(folder)
    assert model.format.value == "onnx" and model.tasks == ["translate"] and model.architecture == "marian"


def test_damaged_manifest_is_kept_and_reported(tiny_gguf: Path, candeia_home: Path) -> None:
    candeia_home.mkdir(parents=True, exist_ok=True)
    (candeia_home / "models.json").write_text("{ not json")
    with pytest.raises(StoreError, match="damaged"):
        ModelStore().installed()
    assert list(candeia_home.glob("models.damaged-*.json"))


def test_resolve_prefers_ids_then_paths(tiny_gguf: Path) -> None:
    ModelStore().add(tiny_gguf, model_id="chatty")
    assert resolve_model("chatty").installed is not None
    by_path = resolve_model(str(tiny_gguf))
    assert by_path.installed is not None and by_path.installed.id == "chatty"
    with pytest.raises(ModelNotFoundError, match="installed: chatty"):
        resolve_model("nothing-here")
