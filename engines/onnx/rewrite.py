"""Replace graph files with rewritten ones only after a check has run on the rewritten files.

A graph pass (caption's specialize, scales, recut) edits the graph structure only: its models are
loaded without their weights (`load_external_data=False`), so the rewritten graphs still point at
the original data files and saving them writes a few kilobytes. Each is saved under a hidden name
beside its original, `check` runs on those files, and only then do they replace the originals;
the hidden files never outlive the call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def replace_verified(models: Sequence[tuple[Any, Path]], check: Callable[[list[Path]], None], *, tag: str) -> None:
    """Save each (model, path) pair's model beside its path as `.<tag>-<name>`, call `check` with those
    paths, then move them over the originals. `check` raises (ValueError) to keep the originals."""
    import onnx

    staged = [path.with_name(f".{tag}-{path.name}") for _, path in models]
    try:
        for (model, _), new in zip(models, staged, strict=True):
            onnx.save(model, str(new))
        check(staged)
        for (_, path), new in zip(models, staged, strict=True):
            new.replace(path)
    finally:
        for new in staged:
            new.unlink(missing_ok=True)
