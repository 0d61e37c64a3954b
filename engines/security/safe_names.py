"""Names that come from outside (a download reference, a hub, a command line) and become files.

Every rule holds on every platform, so a reference that is harmless on Linux cannot become a
traversal or an absolute path on Windows: no backslash, no colon (drive letters, NTFS streams),
no empty, '.' or '..' parts, no part that Windows would silently trim or map to a device.
"""

from __future__ import annotations

import re
from pathlib import Path

from engines.errors import CandeiaError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Windows maps these to devices whatever the extension ("nul.gguf" is the NUL device).
_DEVICES = {"con", "prn", "aux", "nul", "conin$", "conout$"} | {f"{p}{n}" for p in ("com", "lpt") for n in "123456789"}


class UnsafeNameError(CandeiaError, ValueError):
    """A path or id that could land outside the folder it is meant for."""


def _part_problem(part: str) -> str | None:
    if part in ("", ".", ".."):
        return "an empty, '.' or '..' part"
    if part[-1] in ". ":
        return "a part that ends in '.' or a space"
    if part.split(".")[0].strip().lower() in _DEVICES:
        return f"a reserved device name ({part})"
    return None


def check_relative_path(path: str, what: str = "file path") -> str:
    """`path` as a safe relative '/'-separated path, or UnsafeNameError."""
    problem = None
    if not path:
        problem = "it is empty"
    elif path.startswith("/"):
        problem = "it is absolute"
    elif "\\" in path or ":" in path:
        problem = "it has a backslash or a colon"
    elif _CONTROL.search(path):
        problem = "it has control characters"
    else:
        problem = next((p for p in map(_part_problem, path.split("/")) if p), None)
        problem = problem and f"it has {problem}"
    if problem:
        raise UnsafeNameError(f"the {what} {path!r} is not allowed: {problem}")
    return path


def check_model_id(model_id: str) -> str:
    """A model id is one folder name: letters, digits, '.', '-' and '_', starting with a letter or digit."""
    if not _ID.match(model_id) or _part_problem(model_id):
        raise UnsafeNameError(
            f"{model_id!r} is not a valid model id: use up to 128 letters, digits, '.', '-' and '_', "
            "starting with a letter or digit"
        )
    return model_id


def path_inside(base: Path, *parts: str) -> Path:
    """`base/parts...`, refused unless it resolves (links followed) to somewhere strictly inside `base`."""
    target = base.joinpath(*parts)
    root = base.resolve()
    resolved = target.resolve()
    if resolved == root or not resolved.is_relative_to(root):
        raise UnsafeNameError(f"{target} would be outside {base}")
    return target
