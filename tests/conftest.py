"""Shared fixtures: an isolated data folder per test, tiny models, and a thread-leak guard."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Every test process, and every process a test starts, runs under the socket audit (engines/security/socket_audit.py,
# installed when `engines` is first imported, just below): a socket beyond loopback is refused and fails the test.
os.environ.setdefault("CANDEIA_SOCKET_AUDIT", str(Path(tempfile.gettempdir()) / f"candeia-tests-{os.getpid()}.audit"))

from engines.testing import write_tiny_llama

SOCKET_AUDIT_LOG = Path(os.environ["CANDEIA_SOCKET_AUDIT"])

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Module- and session-scoped fixtures are made before each test's own home is set: give them a
    throwaway data folder too, so nothing (a cached split decoder, say) lands in the real profile."""
    home = tmp_path_factory.mktemp("session-home")
    patch = pytest.MonkeyPatch()
    patch.setenv("CANDEIA_HOME", str(home))
    patch.setenv("CANDEIA_OFFLINE", "1")
    yield home
    patch.undo()


@pytest.fixture(autouse=True)
def candeia_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty data folder; nothing touches a real profile."""
    home = tmp_path / "candeia-home"
    monkeypatch.setenv("CANDEIA_HOME", str(home))
    monkeypatch.setenv("CANDEIA_OFFLINE", "1")
    return home


def _refused_sockets(log: Path) -> list[str]:
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [line for line in lines if json.loads(line).get("event") != "armed"]


@pytest.fixture(scope="session", autouse=True)
def socket_audit_log() -> Iterator[Path]:
    yield SOCKET_AUDIT_LOG
    SOCKET_AUDIT_LOG.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def no_outside_sockets(socket_audit_log: Path) -> Iterator[None]:
    """Fail a test during which this process, or one it started, tried to reach beyond loopback."""
    before = len(_refused_sockets(socket_audit_log))
    yield
    refused = _refused_sockets(socket_audit_log)[before:]
    assert not refused, "refused by the socket audit (beyond loopback):\n" + "\n".join(r[:2000] for r in refused)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves threads running (a model's owner thread, a worker)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [
            t for t in threading.enumerate()
            if t not in before and t.is_alive()
            # Timers belong to pytest-timeout; dummy threads are foreign (Qt) threads, checked by Qt fixtures.
            and not isinstance(t, (threading.Timer, threading._DummyThread))
            and not t.name.startswith(("pydevd", "asyncio"))
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A loadable llama-architecture GGUF with random weights and a chat template."""
    return write_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-chat.gguf")


@pytest.fixture(scope="session")
def tiny_base_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like tiny_gguf but without a chat template, as base models ship."""
    return write_tiny_llama(
        tmp_path_factory.mktemp("models") / "tiny-base.gguf", chat_template=None, seed=1, name="Tiny Base"
    )


@pytest.fixture(scope="session")
def tiny_captioner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random ViT + GPT-2 captioner: transformers weights in `hf/`, optimum's merged ONNX export in `onnx/`."""
    from tiny_captioner import build_model, export_onnx

    root = tmp_path_factory.mktemp("captioner")
    build_model(root / "hf", init_range=0.5, eos_boost=2.0)
    export_onnx(root / "hf", root / "onnx")
    return root


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny random Stable Diffusion pipeline: (the diffusers folder, optimum's ONNX export of it)."""
    from sd_tiny import build_tiny_sd, export_onnx

    root = tmp_path_factory.mktemp("tiny-sd")
    diffusers_folder = build_tiny_sd(root)
    return diffusers_folder, export_onnx(diffusers_folder, root / "onnx")


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real-profile layout (no CANDEIA_HOME) confined to tmp_path: the data folder a relocation moves."""
    from engines import paths

    monkeypatch.delenv("CANDEIA_HOME")
    monkeypatch.setenv("CANDEIA_CONFIG_HOME", str(tmp_path / "config"))
    old = tmp_path / "old-data"
    monkeypatch.setattr(paths, "default_data_dir", lambda: old)
    return old


@pytest.fixture(scope="session")
def marian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Marian en-de: (ONNX folder, PyTorch checkpoint), built once per session."""
    from tiny_seq2seq import build_marian, cached

    return cached(tmp_path_factory.getbasetemp(), "marian", build_marian)


@pytest.fixture(scope="session")
def nllb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny NLLB: (ONNX folder, PyTorch checkpoint), built once per session."""
    from tiny_seq2seq import build_nllb, cached

    return cached(tmp_path_factory.getbasetemp(), "nllb", build_nllb)


@pytest.fixture(scope="session")
def encoder_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT sentence encoder exported to ONNX (mean pooling, normalized), built once."""
    from tiny_encoders import cached_encoder

    return cached_encoder(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def reference(tiny_captioner: Path) -> object:
    """The tiny captioner's transformers model (PyTorch), the reference the ONNX captioner must equal."""
    from tiny_captioner import load_reference

    return load_reference(tiny_captioner)


@pytest.fixture
def online_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A loopback fake Hugging Face hub, with the offline switches of the environment cleared."""
    from fake_hub import FakeHub

    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with FakeHub() as server:
        yield server
