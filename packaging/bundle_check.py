"""Checks on a built bundle: what it weighs and that no forbidden package slipped in."""

from __future__ import annotations

import os
from pathlib import Path

from bundle_rules import FORBIDDEN


def bundle_size(root: Path) -> int:
    """Bytes on disk once unpacked (symlinks counted once, as links)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            total += path.lstat().st_size
    return total


def forbidden_files(root: Path) -> list[str]:
    """Folders or files of torch, transformers, optimum (and the like) anywhere in the bundle."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            stem = name.split("-")[0].split(".")[0]
            if stem in FORBIDDEN or name.startswith(("libtorch", "libc10")):
                found.append(str(Path(folder, name).relative_to(root)))
    return sorted(found)


def dangling_links(root: Path) -> list[str]:
    """Symbolic links whose target is missing (a library pruned while a link to it was kept)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink() and not p.exists())
