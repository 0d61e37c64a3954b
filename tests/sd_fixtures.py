"""Shared fixtures for the image generation tests: the random-weight SD 1.5 folder and stable-diffusion.cpp's CLI."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CLI_ENV = "CANDEIA_SD_CLI"  # stable-diffusion.cpp's own `sd-cli`, the reference the engine is compared with
_BUILD = Path(__file__).resolve().parents[1] / "build"
_BUILT_CLI = _BUILD / "sd-cpp" / "bin" / "sd-cli"
_PREBUILT = _BUILD / "sd15-random"  # what benchmarks/imagegen_speed.py builds: reused when complete


def need_engine() -> None:
    """Skip when stable-diffusion.cpp (the `image` extra) or diffusers (to build the weights) is missing."""
    for module in ("stable_diffusion_cpp", "diffusers", "torch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -e '.[dev,image]')")


def cached_sd15(base: Path) -> Path:
    """The random SD 1.5 folder, built once per test session (about 2 GB, a minute or two)."""
    from filelock import FileLock
    from sd_random import build_random_sd

    need_engine()
    if (_PREBUILT / ".done").exists():
        return _PREBUILT
    root = base / "sd-cache" / "sd15-random"
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        done = root / ".done"
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            build_random_sd(root, "sd1")
            done.write_text("ok", encoding="utf-8")
    return root


def sd_cli() -> Path | None:
    named = os.environ.get(CLI_ENV) or shutil.which("sd-cli")
    if named:
        return Path(named)
    return _BUILT_CLI if _BUILT_CLI.exists() else None
