"""The UI thread keeps turning while a model loads and generates and a file operation runs."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop import model_ops
from desktop.main_window import MainWindow
from desktop.stall_probe import StallProbe
from engines.store.model_store import ModelStore
from engines.testing import write_tiny_llama

from .conftest import configure, wait_reply

# The target is 50 ms (the benchmark reports the real figure); the test allows for a loaded CI box.
STALL_LIMIT_MS = 250.0


def test_ui_thread_never_stalls(qtbot: QtBot, main_window: MainWindow, tmp_path: Path) -> None:
    # A bigger model (about 40 MB) so that loading takes a noticeable time, registered by path.
    bigger = write_tiny_llama(tmp_path / "bigger.gguf", n_embd=512, n_ff=1024, n_layer=4, n_head=8, n_head_kv=4,
                              name="Bigger")
    ModelStore().add(bigger, name="Bigger")
    main_window.ctx.models_changed.emit()
    copy_source = write_tiny_llama(tmp_path / "copy-me.gguf", n_embd=512, n_ff=1024, n_layer=4, n_head=8,
                                   n_head_kv=4, name="Copy")
    chat = main_window.chat
    probe = StallProbe()
    probe.start()
    import_task = model_ops.import_file(main_window.ctx, copy_source, copy=True)  # stands in for a download
    chat.model_combo.setCurrentIndex(chat.model_combo.findData("bigger"))
    chat.model_combo.activated.emit(chat.model_combo.currentIndex())
    configure(chat, max_tokens=300)
    chat.send("Write a long story")
    wait_reply(qtbot, chat, timeout=120_000)
    qtbot.waitUntil(lambda: import_task.finished, timeout=30_000)
    longest = probe.stop()
    print(f"\nlongest UI-thread stall: {longest:.1f} ms over {probe.ticks} ticks")
    messages = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert messages[-1].stats is not None and messages[-1].stats["generated_tokens"] == 300
    assert chat.session.model is not None and chat.session.model.ref == "bigger"
    assert longest < STALL_LIMIT_MS
