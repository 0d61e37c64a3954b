"""`candeia`: start the desktop app (or `candeia --self-test` to check a build end to end)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from engines import __version__
from engines.system.streams import ensure_std_streams

SELF_TEST_TIMEOUT_S = 120.0
_IMPORTED = time.monotonic()  # start of the app's own code (after the interpreter, or a frozen bootloader)


def _application(argv: Sequence[str]):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv))
    app.setApplicationName("Candeia")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Candeia")
    return app


def run_gui(argv: Sequence[str]) -> int:
    from desktop import i18n, startup_probe, theme
    from desktop.main_window import MainWindow
    from engines.settings import load_settings

    app = _application(argv)
    settings = load_settings()
    i18n.install(app, settings.ui_language)
    theme.apply(app, settings.theme)
    window = MainWindow()
    app.aboutToQuit.connect(window.shutdown)  # quit without closing the window (logout, Ctrl+Q)
    startup_probe.install(window)
    window.show()
    return int(app.exec())


def self_test(argv: Sequence[str]) -> int:
    """Start the GUI offscreen, load a tiny model made on the fly, chat once through the real workers."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="candeia-self-test-") as tmp:
        os.environ["CANDEIA_HOME"] = str(Path(tmp) / "home")
        from PySide6.QtCore import QCoreApplication

        from desktop import theme
        from desktop.main_window import MainWindow
        from engines.store.model_store import ModelStore
        from engines.testing import write_tiny_llama

        app = _application(argv)
        theme.apply(app, "light")
        model = ModelStore().add(write_tiny_llama(Path(tmp) / "self-test.gguf"), name="Self-test model")
        window = MainWindow()
        window.show()
        app.processEvents()
        shown_s = time.monotonic() - _IMPORTED
        chat = window.chat
        chat.sampling.set_values({"max_tokens": 16, "seed": 1, "context_size": 512})
        chat._sampling_changed(chat.sampling.values())
        started = time.monotonic()
        chat.send("Hello from the self-test")
        while chat.reply is not None and time.monotonic() - started < SELF_TEST_TIMEOUT_S:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        conversation = chat.conv
        messages = chat.store.messages(conversation.id) if conversation else []
        ok = [m.role for m in messages] == ["user", "assistant"] and bool(messages[-1].content.strip())
        loaded = chat.session.model
        window.close()
        app.processEvents()
        if ok and loaded is not None and loaded.ref == model.id:
            print(f"self-test passed: {len(messages[-1].content)} characters in {time.monotonic() - started:.1f} s "
                  f"(window shown {shown_s:.2f} s after start)")
            return 0
        print(f"self-test FAILED: messages={[(m.role, m.content[:40]) for m in messages]} model={loaded}",
              file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    ensure_std_streams()  # windowed builds start without stdout/stderr; llama.cpp writes to them
    argv = list(argv if argv is not None else sys.argv)
    if argv[1:] == ["--engine-host"]:  # an engine host started from a frozen GUI-only bundle (engines/host)
        from engines.cli.engine_host import main as host_main

        return host_main()
    parser = argparse.ArgumentParser(prog="candeia", description="Candeia: local AI models, offline.")
    parser.add_argument("--self-test", action="store_true",
                        help="start offscreen, chat once with a tiny generated model, exit 0 on success")
    parser.add_argument("--version", action="version", version=f"Candeia {__version__}")
    args, qt_args = parser.parse_known_args(argv[1:])
    if args.self_test:
        return self_test([argv[0], *qt_args])  # reports on stdout/stderr; touches no real profile
    from engines.system import crashlog

    crashlog.install("candeia")  # no console to show a traceback on: keep it in the data folder
    from engines import applog

    applog.install("candeia")
    return run_gui([argv[0], *qt_args])


if __name__ == "__main__":
    sys.exit(main())
