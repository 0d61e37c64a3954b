#!/usr/bin/env python3
"""Report the UI thread's longest stall while a model loads, a long reply streams and a file copy runs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_responsiveness.py [--tokens N] [--threads N] [--model F]

Without --model it makes a ~40 MB random-weight GGUF. The target is under 50 ms. It also prints
the engine's own speed on the same model and threads, so the GUI's cost on generation shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: the Settings default)")
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    tokens = args.tokens
    tmp = Path(tempfile.mkdtemp(prefix="candeia-bench-"))
    os.environ["CANDEIA_HOME"] = str(tmp / "home")
    from PySide6.QtWidgets import QApplication

    from desktop import model_ops, theme
    from desktop.main_window import MainWindow
    from desktop.stall_probe import StallProbe
    from engines.llama.engine import LlamaEngine, LoadOptions
    from engines.llama.sampling import SamplingOptions
    from engines.settings import Settings, save_settings
    from engines.store import ModelStore
    from engines.testing import write_tiny_llama

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, "light")
    big = dict(n_embd=512, n_ff=1024, n_layer=4, n_head=8, n_head_kv=4)
    model_path = args.model or write_tiny_llama(tmp / "bench.gguf", **big)
    settings = Settings() if args.threads is None else Settings(threads=args.threads)
    save_settings(settings)
    with LlamaEngine.load(model_path, LoadOptions(context_size=4096, threads=settings.threads)) as engine:
        alone = engine.chat([{"role": "user", "content": "Write a long story"}],
                            SamplingOptions(max_tokens=tokens, seed=1)).stats
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
    print(f"{settings.threads} threads; engine alone: {alone.generated_tokens} tokens at "
          f"{alone.tokens_per_s:.0f} tokens/s")
    print(f"in the GUI ({model.name}): {stats.get('generated_tokens')} tokens at "
          f"{stats.get('tokens_per_s', 0):.0f} tokens/s")
    print(f"wall time {time.perf_counter() - started:.2f} s, probe ticks {probe.ticks}")
    print(f"longest UI-thread stall: {longest:.1f} ms (target < 50 ms)")
    window.close()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
