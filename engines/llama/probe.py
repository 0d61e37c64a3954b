"""Load a GGUF once in a child process, so a file that crashes llama.cpp cannot take the app down.

The header check catches malformed files; this catches the rest (a tensor llama.cpp rejects
with an abort, an unsupported operator). It runs on the first load of each new file only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..errors import InvalidModelFileError
from ..priority import lower_this_process
from ..resources import bundle_root, bundled_executable, is_frozen

PROBE_TIMEOUT_S = 300.0
_OK = "candeia-probe-ok"


def probe_command(path: Path) -> list[str]:
    if is_frozen():
        # A PyInstaller build has no Python to run `-m`: the bundle's console executable runs the probe
        # (a windowed one would have no stdout to report through on Windows); both also accept the flag.
        exe = bundled_executable("candeia-cli") or Path(sys.executable)
        return [str(exe), "--probe-gguf", str(path)]
    return [sys.executable, "-m", "engines.llama.probe", str(path)]


def probe_gguf(path: Path, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise InvalidModelFileError unless a child process can load `path` and decode one token."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if not is_frozen():
        package_root = str(bundle_root())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    # no console window flashing up on Windows when the GUI starts the console executable
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    try:
        result = subprocess.run(
            probe_command(path),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            creationflags=flags,
        )
    except subprocess.TimeoutExpired:
        raise InvalidModelFileError(path, f"did not load within {timeout:.0f} s in a test process") from None
    if result.returncode == 0 and _OK in result.stdout:
        return
    detail = (result.stdout + result.stderr).strip().splitlines()
    last = detail[-1][:200] if detail else ""
    if result.returncode < 0:
        reason = f"crashes llama.cpp while loading (signal {-result.returncode})"
    else:
        reason = "cannot be loaded by llama.cpp" + (f": {last}" if last else "")
    raise InvalidModelFileError(path, reason)


def run_probe_child(path: str) -> int:
    """The child side of the probe (reached as `candeia-cli --probe-gguf PATH` or `candeia --probe-gguf PATH`
    when frozen)."""
    try:
        return _child(path)
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 3


def _child(path: str) -> int:
    from .native import llama_cpp_module

    lower_this_process()  # the app that waits for this may be streaming a reply on the same cores

    llama_cpp = llama_cpp_module()
    llm = llama_cpp.Llama(model_path=path, n_ctx=64, n_batch=64, n_threads=1, n_gpu_layers=0, verbose=False)
    tokens = llm.tokenize(b"Hello", add_bos=True, special=False) or [llm.token_bos()]
    llm.eval(tokens[:4])
    llm.close()
    print(_OK, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_probe_child(sys.argv[1]))
