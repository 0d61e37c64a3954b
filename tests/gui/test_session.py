from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.session import Budget, LoadedModel, ModelSession, Reply
from engines.llama.engine import LoadOptions
from engines.llama.sampling import SamplingOptions


def test_load_generate_in_batches_stop_and_shutdown(qtbot: QtBot, tiny_gguf: Path) -> None:
    session = ModelSession()
    with qtbot.waitSignal(session.loaded, timeout=30_000) as loaded:
        session.load(str(tiny_gguf), LoadOptions(context_size=512, threads=1))
    model: LoadedModel = loaded.args[0]
    assert model.context_size == 512 and model.device == "CPU"

    items: list[tuple[str, object]] = []
    task = session.generate([{"role": "user", "content": "hello"}], SamplingOptions(max_tokens=200, seed=1))
    task.progressed.connect(items.append)
    with qtbot.waitSignal(task.succeeded, timeout=30_000) as done:
        pass
    reply: Reply = done.args[0]
    assert items[0][0] == "budget" and isinstance(items[0][1], Budget)
    texts = [t for kind, t in items if kind == "text"]
    assert "".join(texts) == reply.text  # type: ignore[arg-type]
    assert 1 <= len(texts) < 100  # batched: far fewer updates than tokens
    assert reply.stats.generated_tokens == 200

    task = session.generate([{"role": "user", "content": "hello"}], SamplingOptions(max_tokens=None, seed=2))
    with qtbot.waitSignal(task.progressed, timeout=30_000):
        pass
    session.stop()
    with qtbot.waitSignal(task.succeeded, timeout=30_000) as done:
        pass
    assert done.args[0].stats.stop_reason == "cancelled"
    session.shutdown()


def test_close_mid_reply_and_mid_load(qtbot: QtBot, tiny_gguf: Path) -> None:
    session = ModelSession()
    session.load(str(tiny_gguf), LoadOptions(context_size=512, threads=1))
    task = session.generate([{"role": "user", "content": "hi"}], SamplingOptions(max_tokens=None))
    with qtbot.waitSignal(task.progressed, timeout=30_000):
        pass
    session.shutdown()
    assert session.model is None
    session2 = ModelSession()
    session2.load(str(tiny_gguf), LoadOptions(context_size=512, threads=1))
    session2.shutdown()


def test_switch_model_mid_reply(qtbot: QtBot, tiny_gguf: Path, tiny_base_gguf: Path) -> None:
    session = ModelSession()
    session.load(str(tiny_gguf), LoadOptions(context_size=512, threads=1))
    task = session.generate([{"role": "user", "content": "hi"}], SamplingOptions(max_tokens=None))
    with qtbot.waitSignal(task.progressed, timeout=30_000):
        pass
    with qtbot.waitSignals([task.succeeded, session.loaded], timeout=30_000):
        session.load(str(tiny_base_gguf), LoadOptions(context_size=256, threads=1))
    assert session.model is not None and session.model.context_size == 256
    session.shutdown()


def test_load_failure_is_reported(qtbot: QtBot, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf")
    session = ModelSession()
    with qtbot.waitSignal(session.load_failed, timeout=30_000) as failed:
        session.load(str(bad), LoadOptions())
    assert "bad.gguf" in failed.args[0]
    session.shutdown()
