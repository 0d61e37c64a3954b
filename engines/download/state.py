"""The small JSON file that sits next to each `.part` file.

It says which remote bytes the `.part` holds (URL, commit, etag, expected sha256 and size),
so a later run resumes only when they still match. The `.part` file's own length is the
resume point: every byte in it was written before the process stopped, and the final
sha256 check catches anything a power cut may have torn.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from engines.atomic import atomic_write_json
from engines.download.hub_meta import RemoteFile


@dataclass
class FileState:
    url: str
    repo: str
    path: str
    commit: str
    etag: str | None
    sha256: str | None
    size: int | None
    bytes_written: int = 0
    updated_at: float = 0.0

    @classmethod
    def for_remote(cls, remote: RemoteFile, expected_sha256: str | None) -> FileState:
        return cls(
            url=remote.url,
            repo=remote.repo,
            path=remote.path,
            commit=remote.commit,
            etag=remote.etag,
            sha256=expected_sha256,
            size=remote.size,
        )

    def same_bytes(self, other: FileState) -> bool:
        """Whether a `.part` written under `self` can be continued for `other`."""
        keys = ("repo", "path", "commit", "etag", "sha256", "size")
        return all(getattr(self, k) == getattr(other, k) for k in keys)


def state_path_for(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def load_state(path: Path) -> FileState | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return FileState(**raw)
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: the .part is then not trusted


def save_state(path: Path, state: FileState, *, durable: bool = True) -> None:
    state.updated_at = time.time()
    atomic_write_json(path, asdict(state), durable=durable)
