"""Moving the data folder: everything Candeia owns follows, linked files stay, nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines import paths
from engines.errors import ModelNotFoundError
from engines.host.open_model import open_chat_model
from engines.jobs import Cancelled, CancelToken
from engines.settings import Settings, load_settings, save_settings
from engines.store.model_store import ModelStore
from engines.store.relocate import RelocateError, move_data_dir


def test_move_keeps_models_settings_and_caches(profile: Path, tmp_path: Path, tiny_gguf: Path) -> None:
    store = ModelStore()
    owned = store.add(tiny_gguf, copy=True, model_id="owned")
    linked = store.add(tiny_gguf, model_id="linked")
    save_settings(Settings(threads=1, context_size=1024))
    open_chat_model("owned").close()  # records the probe against the owned file's path
    probed = ModelStore().get("owned").probe
    assert probed is not None and owned.probe is None
    assert paths.data_dir() == profile
    seen: list[tuple[int, int]] = []

    new = move_data_dir(tmp_path / "new-data", progress=lambda d, t: seen.append((d, t)))

    assert paths.data_dir() == new and not profile.exists()
    assert seen and seen[-1][0] == seen[-1][1] > tiny_gguf.stat().st_size
    moved = ModelStore().get("owned")
    assert Path(moved.path).is_relative_to(new) and Path(moved.path).read_bytes() == tiny_gguf.read_bytes()
    assert moved.probe == probed, "file times survive the move, so the probe is not repeated"
    assert ModelStore().get("linked").path == linked.path == str(tiny_gguf.resolve())
    assert load_settings().context_size == 1024
    open_chat_model("owned").close()


def test_refusals_leave_everything_in_place(profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(threads=1))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    with pytest.raises(RelocateError, match="new or empty"):
        move_data_dir(busy)
    with pytest.raises(RelocateError, match="contain each other"):
        move_data_dir(profile / "inside")
    monkeypatch.setenv("CANDEIA_HOME", str(profile))
    with pytest.raises(RelocateError, match="CANDEIA_HOME"):
        move_data_dir(tmp_path / "elsewhere")
    assert (profile / "settings.json").exists() and not (tmp_path / "elsewhere").exists()


def test_cancel_mid_copy_keeps_the_old_folder(profile: Path, tmp_path: Path, tiny_gguf: Path) -> None:
    ModelStore().add(tiny_gguf, copy=True, model_id="owned")
    cancel = CancelToken()
    target = tmp_path / "new-data"
    with pytest.raises(Cancelled):
        move_data_dir(target, progress=lambda done, total: cancel.cancel(), cancel=cancel)
    assert not target.exists()
    assert paths.data_dir() == profile
    assert Path(ModelStore().get("owned").path).exists()
    with pytest.raises(ModelNotFoundError):
        ModelStore().get("nothing")
