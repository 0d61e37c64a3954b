"""A download's staging folder, `downloads/<model id>/`, and its plan file `download.json`.

The plan pins the download to one commit of one repository (so a resumed download never mixes
two versions) and records the sha256 of each file already completed and verified. This module
is the only reader and writer of that file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from engines.atomic import atomic_write_json
from engines.security.safe_names import check_relative_path, path_inside

PLAN_FILE = "download.json"


class StagingPlan:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / PLAN_FILE

    # -- where files go ------------------------------------------------------------------------------
    def final(self, path: str) -> Path:
        """Where a repository file lands: refused unless it resolves inside the staging folder."""
        return path_inside(self.folder, *check_relative_path(path).split("/"))

    def part(self, path: str) -> Path:
        final = self.final(path)
        return final.with_name(final.name + ".part")

    def bytes_on_disk(self, paths: list[str]) -> int:
        """What earlier runs already fetched of these files (completed or partial)."""
        done = self.done()
        total = 0
        for path in paths:
            final, part = self.final(path), self.part(path)
            if path in done and final.exists():
                total += final.stat().st_size
            elif part.exists():
                total += part.stat().st_size
        return total

    # -- the plan file -------------------------------------------------------------------------------
    def pinned_commit(self, repo: str) -> str | None:
        """The commit an earlier run of this download fetched from, when it was from `repo`."""
        saved = self._read()
        commit = saved.get("commit") if saved.get("repo") == repo else None
        return commit if isinstance(commit, str) else None

    def pin(self, repo: str, commit: str, model_id: str) -> None:
        self._write({**self._read(), "repo": repo, "commit": commit, "model_id": model_id})

    def done(self) -> dict[str, str]:
        """Files an earlier run completed and verified: repository path -> sha256."""
        done = self._read().get("done", {})
        return done if isinstance(done, dict) else {}

    def record_done(self, path: str, sha256: str) -> None:
        saved = self._read()
        done = saved.get("done")
        saved["done"] = {**(done if isinstance(done, dict) else {}), path: sha256}
        self._write(saved)

    def forget(self) -> None:
        """Drop the plan (before the folder is installed: it is no model file)."""
        self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Delete the whole staging folder: every partial file and the plan."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _read(self) -> dict[str, Any]:
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or damaged: the download starts from what the hub says now
        return saved if isinstance(saved, dict) else {}

    def _write(self, saved: dict[str, Any]) -> None:
        atomic_write_json(self.path, saved)
