"""How an engine host is started: the command line, its environment, and the cause of its death."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from engines.errors import EngineCrashedError
from engines.system.resources import bundle_root, bundled_executable, is_frozen

EXIT_OOM = 86  # the host ran out of memory (a MemoryError, or an allocation refused under its limit)
MEMORY_LIMIT_ENV = "CANDEIA_HOST_MEMORY_LIMIT_MB"
FROZEN_FLAG = "--engine-host"  # what a PyInstaller build's executables accept instead of `-m`
# Host kinds: each loads one native engine and nothing else (stable-diffusion.cpp carries its own ggml,
# which must never share a process with llama.cpp's)
HOST_MODULES = {"llama": "engines.cli.engine_host", "image": "engines.cli.image_host"}
FROZEN_FLAGS = {"llama": FROZEN_FLAG, "image": "--image-host"}

# Windows reports a native crash as an NTSTATUS exit code rather than a signal
_WINDOWS_CRASHES = {
    0xC0000005: "access violation",
    0xC000001D: "illegal instruction",
    0xC00000FD: "stack overflow",
    0xC0000409: "stack buffer overrun",
    0xC0000017: "out of memory",
}


def host_command(kind: str = "llama") -> list[str]:
    if is_frozen():
        # A PyInstaller build has no Python to run `-m`: the bundle's console executable hosts the engine
        # (a windowed one has no standard streams on Windows); both accept the flag.
        exe = bundled_executable("candeia-cli") or Path(sys.executable)
        return [str(exe), FROZEN_FLAGS[kind]]
    return [sys.executable, "-m", HOST_MODULES[kind]]


def host_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if not is_frozen():
        package_root = str(bundle_root())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def spawn(kind: str = "llama") -> subprocess.Popen[bytes]:
    # no console window flashing up on Windows when the GUI starts the console executable
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    return subprocess.Popen(
        host_command(kind),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=host_env(),
        creationflags=flags,
    )


def death_cause(returncode: int, *, memory_limited: bool = False) -> EngineCrashedError:
    """What a user should read about a host that ended on its own with `returncode`."""
    if returncode == EXIT_OOM:
        return EngineCrashedError("oom")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if memory_limited and name in ("SIGABRT", "SIGKILL", "SIGSEGV"):
            return EngineCrashedError("oom")  # an allocation refused under the host's memory cap
        if name == "SIGKILL":
            return EngineCrashedError("killed", name)
        return EngineCrashedError("crashed", name)
    code = returncode & 0xFFFFFFFF
    if code in _WINDOWS_CRASHES:
        what = _WINDOWS_CRASHES[code]
        return EngineCrashedError("oom") if what == "out of memory" else EngineCrashedError("crashed", what)
    return EngineCrashedError("exited", f"exit code {returncode}")


def memory_limited() -> bool:
    return bool(os.environ.get(MEMORY_LIMIT_ENV))
