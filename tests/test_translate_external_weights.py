"""Large single-file ONNX models load from a derived copy with external weights (engines/onnx/session.py).

The tiny models here are far below the real size threshold, so each test lowers it to 0.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from tiny_seq2seq import build_marian, cached, quantize_folder

import engines.onnx.external
import engines.onnx.session
from engines.errors import InvalidModelFileError
from engines.onnx.derived import SOURCE_FILE, derived_entry, remove_derived
from engines.onnx.session import EXTERNAL_CACHE, external_weights_copy, make_session
from engines.paths import cache_dir
from engines.store.model_store import ModelStore
from engines.translate.engine import DecodeOptions, Seq2SeqEngine

pytestmark = pytest.mark.timeout(120)
TEXTS = ["Hello world, this is a test.", "Where is the station and how is the weather today?", "Ships"]
OPTIONS = DecodeOptions(num_beams=2, max_new_tokens=16)


@pytest.fixture(scope="module")
def marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached(tmp_path_factory.getbasetemp(), "marian", build_marian)[1]


@pytest.fixture
def folder(marian: Path, tmp_path: Path) -> Path:
    """A private copy (tests touch and remove its files)."""
    return Path(shutil.copytree(marian, tmp_path / "marian-onnx"))


@pytest.fixture
def every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.onnx.session, "EMBEDDED_MIN_BYTES", 0)


def _entries() -> list[Path]:
    root = cache_dir() / EXTERNAL_CACHE
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _ids(folder: Path) -> list[list[int]]:
    engine = Seq2SeqEngine(folder, threads=1)
    settings = engine.settings_for("de", OPTIONS)
    return engine.generate_ids([engine.encode(t, "en", "de") for t in TEXTS], settings)


@pytest.mark.parametrize("int8", [False, True], ids=["fp32", "int8"])
def test_copy_gives_the_same_ids_and_is_made_once(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  int8: bool) -> None:
    if int8:
        folder = quantize_folder(folder, tmp_path / "marian-int8")
        for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):  # only the int8 graphs are left
            (folder / name).unlink()
    original = _ids(folder)
    assert not _entries()  # tiny files are loaded as they are
    monkeypatch.setattr(engines.onnx.session, "EMBEDDED_MIN_BYTES", 0)
    calls: list[Path] = []
    real = engines.onnx.external.externalize

    def counted(source: Path, target: Path) -> int:
        calls.append(source)
        return real(source, target)

    monkeypatch.setattr(engines.onnx.external, "externalize", counted)
    assert _ids(folder) == original
    entries = _entries()
    assert len(entries) == 2 and len(calls) == 2  # encoder and merged decoder
    for entry in entries:
        graph = next(entry.glob("*.onnx"))
        data = graph.with_name(graph.name + "_data")
        source = Path(json.loads((entry / SOURCE_FILE).read_text(encoding="utf-8"))["source"])
        assert source.parent == folder.resolve() and source.name == graph.name
        # the weights moved out of the graph (tiny tensors stay, as onnx.save leaves them)
        assert data.stat().st_size > 0 and graph.stat().st_size < source.stat().st_size - data.stat().st_size // 2
    assert _ids(folder) == original
    assert _entries() == entries and len(calls) == 2  # reused, not written again
    assert not list((cache_dir() / EXTERNAL_CACHE).glob(".work-*"))


def test_copy_holds_every_tensor_unchanged(folder: Path, tmp_path: Path) -> None:
    import numpy as np
    import onnx
    from onnx import numpy_helper
    from onnx.external_data_helper import _get_all_tensors

    source = folder / "decoder_model_merged.onnx"  # has If branches with their own tensors
    target = tmp_path / "copy" / source.name
    target.parent.mkdir()
    moved = engines.onnx.external.externalize(source, target)
    assert moved > 0
    onnx.checker.check_model(str(target))
    before = {t.name: numpy_helper.to_array(t) for t in _get_all_tensors(onnx.load(str(source)))}
    after = {t.name: numpy_helper.to_array(t) for t in _get_all_tensors(onnx.load(str(target)))}
    assert before.keys() == after.keys()
    assert all(before[k].dtype == after[k].dtype and np.array_equal(before[k], after[k]) for k in before)


def test_changed_source_gets_a_new_copy_and_the_old_one_goes(folder: Path, every_file: None) -> None:
    encoder = folder / "encoder_model.onnx"
    first = external_weights_copy(encoder)
    assert first is not None and external_weights_copy(encoder) == first
    stat = encoder.stat()
    os.utime(encoder, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as a re-download would leave it
    second = external_weights_copy(encoder)
    assert second is not None and second != first
    assert not first.exists() and [p.name for p in _entries()] == [second.parent.name]


def test_copies_go_when_the_model_is_removed(folder: Path, every_file: None) -> None:
    store = ModelStore()
    entry = store.add(folder)  # linked: the user's folder stays
    Seq2SeqEngine(folder, threads=1)
    other = external_weights_copy(Path(shutil.copytree(folder, folder.with_name("other"))) / "encoder_model.onnx")
    split = derived_entry(folder / "decoder_model_merged.onnx", cache_dir() / "caption-split", "1",
                          lambda work: (work / "step.onnx").write_bytes(b"x") > 0, expect=["step.onnx"])
    assert len(_entries()) == 3 and split is not None
    store.remove(entry.id)
    assert folder.is_dir()  # linked files are never touched
    assert other is not None and [p.name for p in _entries()] == [other.parent.name]  # another model's copy stays
    assert not split.exists()  # every kind of derived cache, the caption split included
    assert remove_derived(folder.with_name("other"), cache_dir()) == 1 and not _entries()


def test_failure_to_write_falls_back_to_the_original(folder: Path, every_file: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    def broken(source: Path, target: Path) -> int:
        target.with_name(target.name + "_data").write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engines.onnx.external, "externalize", broken)
    with caplog.at_level(logging.WARNING):
        assert external_weights_copy(folder / "encoder_model.onnx") is None
        reference = _ids(folder)  # loads the originals
    assert "using it as it is" in caplog.text
    assert not _entries() and not list((cache_dir() / EXTERNAL_CACHE).iterdir())  # no half entry left behind
    monkeypatch.undo()
    assert _ids(folder) == reference


def test_no_room_on_disk_loads_the_original(folder: Path, every_file: None, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))
    with caplog.at_level(logging.WARNING):
        assert external_weights_copy(folder / "encoder_model.onnx") is None
    assert "not enough free disk space" in caplog.text and not _entries()


def test_a_copy_that_does_not_load_is_dropped_and_the_original_loads(folder: Path, every_file: None,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    source = folder / "encoder_model.onnx"
    copy = external_weights_copy(source)
    assert copy is not None
    copy.with_name(copy.name + "_data").write_bytes(b"damaged")  # e.g. a truncated file after a crash
    with caplog.at_level(logging.WARNING):
        session = make_session(source, threads=1)
    assert session.get_inputs()  # the original loaded
    assert "could not load the external-weights copy" in caplog.text
    assert not copy.parent.exists()  # not tried again on every later load
    remade = external_weights_copy(source)
    assert remade is not None and make_session(source, threads=1).get_inputs()


def test_files_already_with_external_weights_are_used_as_they_are(folder: Path, every_file: None) -> None:
    from engines.convert.checkpoint import externalize_weights

    externalize_weights(folder)  # what `models convert` writes
    assert external_weights_copy(folder / "encoder_model.onnx") is None
    assert not _entries()
    Seq2SeqEngine(folder, threads=1)


def test_a_broken_file_still_fails_with_its_own_name(tmp_path: Path, every_file: None) -> None:
    bad = tmp_path / "encoder_model.onnx"
    bad.write_bytes(b"\x08\x07" + b"\xff" * 4096)  # a protobuf tag, then garbage
    with pytest.raises(InvalidModelFileError) as info:
        make_session(bad, threads=1)
    assert str(bad) in str(info.value)
    assert not _entries()


def test_entries_of_deleted_sources_go_when_the_next_one_is_made(tmp_path: Path) -> None:
    root = cache_dir() / "some-kind"
    gone, kept = tmp_path / "gone.onnx", tmp_path / "kept.onnx"
    for source in (gone, kept):
        source.write_bytes(b"model")

    def build(work: Path) -> bool:
        return (work / "out").write_bytes(b"derived") > 0

    first = derived_entry(gone, root, "1", build, expect=["out"])
    assert first is not None and (first / "out").is_file()
    gone.unlink()  # deleted outside Candeia
    second = derived_entry(kept, root, "1", build, expect=["out"])
    assert second is not None and not first.exists() and [p.name for p in root.iterdir()] == [second.name]


def test_work_folders_of_killed_builds_go_when_old(tmp_path: Path) -> None:
    root = cache_dir() / "some-kind"
    abandoned, live = root / ".work-abandoned", root / ".work-live"
    for folder in (abandoned, live):
        folder.mkdir(parents=True)
        (folder / "half.onnx_data").write_bytes(b"partial")
    os.utime(abandoned, (0, 0))  # a build from long ago whose process was killed
    source = tmp_path / "model.onnx"
    source.write_bytes(b"model")
    assert derived_entry(source, root, "1", lambda work: (work / "out").write_bytes(b"d") > 0, expect=["out"])
    assert not abandoned.exists() and live.is_dir()  # a young one may be another process's build


def test_captioning_models_load_from_the_copy_too(tiny_captioner: Path, every_file: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    from PIL import Image

    from engines.caption.onnx_engine import OnnxCaptioner
    from engines.caption.types import CaptionOptions

    rng = np.random.default_rng(3)
    images = [Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)) for _ in range(2)]
    copied = OnnxCaptioner(tiny_captioner / "onnx", threads=1, split=False)
    assert len(_entries()) == 2  # the ViT encoder and the merged GPT-2 decoder
    monkeypatch.setattr(engines.onnx.session, "EMBEDDED_MIN_BYTES", 1 << 62)
    original = OnnxCaptioner(tiny_captioner / "onnx", threads=1, split=False)
    pixels = original.pixel_values(images)
    settings = original.settings_for(CaptionOptions(num_beams=2, max_new_tokens=8))
    assert copied.generate(pixels, settings) == original.generate(pixels, settings)


def test_translator_sessions_stop_spinning_when_their_run_ends(folder: Path) -> None:
    """Encoder and decoder take turns: an idle pool spinning on would take the cores from the next run."""
    engine = Seq2SeqEngine(folder, threads=1)
    sessions = {engine.model.encoder, engine.model.first, engine.model.rest}
    for session in sessions:
        assert session.get_session_options().get_session_config_entry("session.force_spinning_stop") == "1"
    assert _ids(folder)  # and it still translates
