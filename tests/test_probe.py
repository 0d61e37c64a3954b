"""The first load of a new file is probed in a child process; crashes there never reach the app."""

from __future__ import annotations

import sys
from pathlib import Path

import gguf
import numpy as np
import pytest

from engines.errors import InvalidModelFileError
from engines.llama import probe
from engines.models import ProbeCache, open_chat_model
from engines.store import ModelStore
from tests_support import run_cli


def write_missing_tensor_model(path: Path) -> Path:
    """Passes the header check (valid GGUF, llama, vocab) but lacks the tensors llama.cpp needs."""
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in (("context_length", 128), ("embedding_length", 8), ("block_count", 1),
                       ("feed_forward_length", 16)):
        writer.add_uint32(f"llama.{key}", value)
    writer.add_head_count(2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list([b"<unk>", b"<s>", b"</s>"] + [f"<0x{i:02X}>".encode() for i in range(256)])
    writer.add_token_scores([0.0] * 259)
    writer.add_token_types([2, 3, 3] + [6] * 256)
    writer.add_tensor("token_embd.weight", np.zeros((259, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_probe_accepts_a_good_model_once(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ModelStore().add(tiny_gguf)
    assert model.probe is None
    engine = open_chat_model(model.id)
    engine.close()
    assert ModelStore().get(model.id).probe is not None
    calls: list[Path] = []
    monkeypatch.setattr("engines.models.probe_gguf", lambda p, **_: calls.append(p))
    open_chat_model(model.id).close()
    assert calls == [], "a probed file is not probed again"


def test_unregistered_paths_are_remembered(tiny_gguf: Path) -> None:
    open_chat_model(str(tiny_gguf)).close()
    assert ProbeCache().passed(tiny_gguf.resolve())


def test_model_llama_cpp_rejects_fails_cleanly(tmp_path: Path) -> None:
    bad = write_missing_tensor_model(tmp_path / "incomplete.gguf")
    with pytest.raises(InvalidModelFileError, match=r"cannot be loaded by llama\.cpp"):
        open_chat_model(str(bad))
    result = run_cli("chat", "-m", str(bad), "hi")
    assert result.returncode == 1
    assert "cannot be loaded by llama.cpp" in result.stderr and "Traceback" not in result.stderr


def test_a_crashing_loader_is_reported_not_fatal(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe, "probe_command", lambda p: [sys.executable, "-c", "import os; os.abort()"])
    with pytest.raises(InvalidModelFileError, match=r"crashes llama\.cpp"):
        probe.probe_gguf(tiny_gguf)


def test_a_hanging_loader_times_out(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe, "probe_command", lambda p: [sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(InvalidModelFileError, match=r"did not load within 1 s"):
        probe.probe_gguf(tiny_gguf, timeout=1)


def test_frozen_probe_entry_point(tiny_gguf: Path, tmp_path: Path) -> None:
    """What a PyInstaller build runs as its probe child: the CLI's hidden --probe-gguf."""
    ok = run_cli("--probe-gguf", str(tiny_gguf))
    assert ok.returncode == 0 and "candeia-probe-ok" in ok.stdout
    bad = write_missing_tensor_model(tmp_path / "incomplete.gguf")
    failed = run_cli("--probe-gguf", str(bad))
    assert failed.returncode == 3 and failed.stderr.strip()
