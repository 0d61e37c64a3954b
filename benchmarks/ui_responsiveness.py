"""UI-thread stalls while a model loads, a reply streams at full speed and a download runs.

    QT_QPA_PLATFORM=offscreen python -m benchmarks.ui_responsiveness [--model F] [--tokens N] [--threads N]

A 5 ms precise QTimer on the UI thread records how late each tick is (desktop/stall_probe.py).
The scenario starts, at once: a catalog download through the Models page's DownloadCenter from a
local hub in another process (a second copy of the model file, no throttle: as fast as the disk
and the sha256 go, then verified and installed), and a chat
message that loads the model and streams `--tokens` tokens. Without --model it makes a ~40 MB
random-weight GGUF. The engine's own speed on the same model and threads, measured before,
shows what the GUI costs generation. Targets: longest stall < 50 ms, 99th percentile < 16 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .hub import start_hub
from .report import existing_file, load_average, publish

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Count from 1 to 300, one number per line."
SEED = 2


def run(model: Path | None, tokens: int, threads: int | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="candeia-ui-bench-"))
    os.environ["CANDEIA_HOME"] = str(tmp / "home")
    os.environ.pop("CANDEIA_OFFLINE", None)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop import theme
    from desktop.main_window import MainWindow
    from desktop.stall_probe import StallProbe
    from engines.cards import CardFile, Licence, ModelCard, Source
    from engines.download import JobStatus
    from engines.gguf.info import read_gguf
    from engines.host.chat import HostedChatEngine
    from engines.llama.engine import LoadOptions
    from engines.llama.sampling import SamplingOptions
    from engines.settings import Settings, save_settings
    from engines.store.model_store import ModelStore
    from engines.testing import write_tiny_llama

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    theme.apply(app, "light")
    model_path = model or write_tiny_llama(tmp / "bench.gguf", n_embd=512, n_ff=1024, n_layer=4, n_head=8,
                                           n_head_kv=4)
    serve = tmp / "serve"
    serve.mkdir()
    (serve / "download.gguf").symlink_to(model_path)  # the download is a second copy of the model
    hub, url = start_hub(serve)
    try:
        settings = Settings(hf_endpoint=url) if threads is None else Settings(threads=threads, hf_endpoint=url)
        save_settings(settings)
        sampling = SamplingOptions(max_tokens=tokens, seed=SEED, ignore_eos=True)
        with HostedChatEngine(read_gguf(model_path), LoadOptions(context_size=4096, threads=settings.threads),
                              probe=False) as engine:
            alone = engine.chat([{"role": "user", "content": PROMPT}], sampling).stats
        ModelStore().add(model_path, name="Bench")
        window = MainWindow()
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()  # the card pins what the hub serves
        pinned = CardFile(path="download.gguf", size=model_path.stat().st_size, sha256=digest)
        window.ctx.catalog = [ModelCard(id="bench-dl", name="Download", tasks=["chat"], engine="llama.cpp",
                                        licence=Licence(id="MIT", commercial_use="yes", url="https://opensource.org/license/mit"),
                                        source=Source(repo="local/files", revision="main", files=[pinned]))]
        window.show()
        chat = window.chat
        # A prompt and seed that keep gemma-3-270m going to the token limit (a random-weight model
        # never stops early anyway): the reply must stream for the whole measurement.
        chat.sampling.set_values({"max_tokens": tokens, "context_size": 4096, "seed": SEED})
        chat._sampling_changed(chat.sampling.values())
        # Let the window settle (first paints, hardware detection, the chat's warm-up): half a second,
        # less than anyone takes to type a first message.
        for _ in range(50):
            app.processEvents()
            time.sleep(0.01)
        probe = StallProbe()
        probe.start()
        started = time.perf_counter()
        profile = None
        if os.environ.get("CANDEIA_PROFILE_UI"):  # where the UI thread's own time goes at the start
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        window.ctx.downloads.start(window.ctx.catalog[0])
        # Two clicks, not one handler doing both: let the event loop turn in between.
        QTimer.singleShot(20, lambda: chat.send(PROMPT))
        for _ in range(20):
            app.processEvents()
            time.sleep(0.005)
        if profile is not None:
            profile.disable()
            profile.dump_stats(str(ROOT / "bench-results" / "ui_start.prof"))
        download_s = reply_s = 0.0
        while True:
            app.processEvents()
            now = time.perf_counter() - started
            status = window.ctx.downloads.status("bench-dl")
            if not download_s and status in (JobStatus.done, JobStatus.failed):
                download_s = now
            if not reply_s and chat.reply is None and chat.conv is not None:
                reply_s = now
            if download_s and reply_s:
                break
            time.sleep(0.001)
        probe.stop()
        stats = chat.store.messages(chat.conv.id)[-1].stats or {}  # type: ignore[union-attr]
        result = {
            "threads": settings.threads, "model": str(model_path), "tokens": tokens,
            "download_mb": model_path.stat().st_size / 2**20,
            "download_status": str(window.ctx.downloads.status("bench-dl")),
            "longest_stall_ms": probe.longest_ms, "p99_stall_ms": probe.percentile(99),
            "p50_stall_ms": probe.percentile(50), "ticks": probe.ticks,
            "engine_alone_tokens_per_s": alone.tokens_per_s,
            "gui_tokens_per_s": float(stats.get("tokens_per_s", 0.0)),
            "gui_generated_tokens": stats.get("generated_tokens"),
            "download_s": download_s, "reply_s": reply_s,
            "long_stalls": [{"at_s": round(at, 3), "ms": round(ms, 1)} for at, ms in probe.long_stalls],
        }
        window.close()
        app.processEvents()
        return result
    finally:
        hub.kill()
        hub.wait()


def rows(result: dict[str, Any]) -> list[list[Any]]:
    return [
        ["UI thread: longest stall (ms)", f"{result['longest_stall_ms']:.1f}", "< 50 ms"],
        ["UI thread: 99th percentile stall (ms)", f"{result['p99_stall_ms']:.1f}", "< 16 ms"],
        ["reply in the GUI vs engine alone (tokens/s)",
         f"{result['gui_tokens_per_s']:.1f} vs {result['engine_alone_tokens_per_s']:.1f}", "-"],
        [f"download of {result['download_mb']:.0f} MB alongside (s)",
         f"{result['download_s']:.1f} ({result['download_status'].split('.')[-1]})", "-"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: the Settings default)")
    parser.add_argument("--model", type=existing_file)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    before = load_average()
    result = run(args.model, args.tokens, args.threads)
    result["load_average"] = before
    headline = f"{result['threads']} threads, {result['ticks']} probe ticks, load average {before}"
    return publish("ui_responsiveness", headline, ["UI responsiveness", "measured", "target"], rows(result), result,
                   args.json)


if __name__ == "__main__":
    raise SystemExit(main())
