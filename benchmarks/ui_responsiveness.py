#!/usr/bin/env python3
"""Report the UI thread's longest stall while a model loads, a long reply streams and a file copy runs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_responsiveness.py [tokens] [model.gguf]

Without a model path it makes a ~40 MB random-weight GGUF. The target is under 50 ms.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    tokens = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    tmp = Path(tempfile.mkdtemp(prefix="candeia-bench-"))
    os.environ["CANDEIA_HOME"] = str(tmp / "home")
    from PySide6.QtWidgets import QApplication

    from desktop import model_ops, theme
    from desktop.main_window import MainWindow
    from desktop.stall_probe import StallProbe
    from engines.store import ModelStore
    from engines.testing import write_tiny_llama

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, "light")
    big = dict(n_embd=512, n_ff=1024, n_layer=4, n_head=8, n_head_kv=4)
    model_path = Path(sys.argv[2]) if len(sys.argv) > 2 else write_tiny_llama(tmp / "bench.gguf", **big)
    copy_source = write_tiny_llama(tmp / "copy.gguf", **big)
    model = ModelStore().add(model_path, name="Bench")
    window = MainWindow()
    window.show()
    chat = window.chat
    chat.sampling.set_values({"max_tokens": tokens, "context_size": 4096, "seed": 1})
    chat._sampling_changed(chat.sampling.values())
    probe = StallProbe()
    probe.start()
    started = time.perf_counter()
    task = model_ops.import_file(window.ctx, copy_source, copy=True)
    chat.send("Write a long story")
    while chat.reply is not None or not task.finished:
        app.processEvents()
        time.sleep(0.001)
    longest = probe.stop()
    stats = chat.store.messages(chat.conv.id)[-1].stats or {}  # type: ignore[union-attr]
    print(f"model {model.name}: {stats.get('generated_tokens')} tokens at {stats.get('tokens_per_s', 0):.0f} tokens/s")
    print(f"wall time {time.perf_counter() - started:.2f} s, probe ticks {probe.ticks}")
    print(f"longest UI-thread stall: {longest:.1f} ms (target < 50 ms)")
    window.close()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
