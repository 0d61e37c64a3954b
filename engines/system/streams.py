"""Give a console-less process usable standard streams.

A windowed PyInstaller build (and pythonw.exe) starts with `sys.stdout` and `sys.stderr` set to
None; llama-cpp-python and other libraries write to them on import or on load and would raise.
Call `ensure_std_streams()` first thing in an entry point, before anything imports llama_cpp.
"""

from __future__ import annotations

import os
import sys


def ensure_std_streams() -> None:
    for name in ("stdin", "stdout", "stderr"):
        if getattr(sys, name) is None:
            mode = "r" if name == "stdin" else "w"
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115 (lives as long as the process)
