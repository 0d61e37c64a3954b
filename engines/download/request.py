"""What to download: every file of a catalog card as one unit, or one file of any hub repository."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from engines.cards import ModelCard
from engines.errors import CandeiaError
from engines.security.safe_names import UnsafeNameError, check_model_id, check_relative_path
from engines.store.model_store import ModelFormat, slugify


class BadReferenceError(CandeiaError, ValueError):
    """A download reference that is neither a card id nor a hub file."""


@dataclass(frozen=True)
class WantedFile:
    path: str
    role: str = "model"
    size: int | None = None
    sha256: str | None = None
    pinned: bool = False  # the catalog gives size and sha256 up front: the hub's word is checked against them

    def __post_init__(self) -> None:
        try:
            check_relative_path(self.path)
        except UnsafeNameError as exc:
            raise BadReferenceError(str(exc)) from None


@dataclass(frozen=True)
class DownloadRequest:
    repo: str
    files: tuple[WantedFile, ...]
    model_id: str
    name: str
    format: ModelFormat
    revision: str | None = None
    card_id: str | None = None
    tasks: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Each becomes a folder or file name under the data folder: refuse anything that could escape it.
        try:
            check_model_id(self.model_id)
        except UnsafeNameError as exc:
            raise BadReferenceError(str(exc)) from None
        if not self.files:
            raise BadReferenceError(f"the download of '{self.model_id}' names no files")
        if len({f.path for f in self.files}) != len(self.files):
            raise BadReferenceError(f"the download of '{self.model_id}' names a file twice")

    @property
    def main_file(self) -> WantedFile:
        return next((f for f in self.files if f.role == "model" and f.path.lower().endswith(".gguf")), self.files[0])

    @classmethod
    def from_card(cls, card: ModelCard) -> DownloadRequest:
        fmt = ModelFormat.gguf if card.engine == "llama.cpp" else ModelFormat.onnx
        return cls(
            repo=card.source.repo,
            files=tuple(WantedFile(f.path, f.role, f.size, f.known_sha256, pinned=True) for f in card.source.files),
            model_id=card.id,
            name=card.name,
            format=fmt,
            revision=card.source.revision,
            card_id=card.id,
            tasks=tuple(card.tasks),
        )


_HUB_HOSTS = {"hf.co", "huggingface.co", "www.huggingface.co"}
_REPO_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REVISION = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]*$")  # a branch, tag, commit or refs/pr/N


def looks_like_hub_ref(ref: str) -> bool:
    text = ref.removeprefix("https://").removeprefix("http://")
    return text.split("/", 1)[0].lower() in _HUB_HOSTS


def parse_hub_ref(ref: str) -> tuple[str, str, str | None]:
    """`hf.co/ORG/REPO/FILE`, or a browser URL `https://huggingface.co/ORG/REPO/(resolve|blob)/REV/FILE`.

    Returns (repo, path in the repo, revision or None).
    """
    text = ref.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        hostname = parts.hostname or ""
    except ValueError:  # '[' in the host: urlsplit's "Invalid IPv6 URL" (found by tests/test_fuzz.py)
        hostname = ""
    if hostname.lower() not in _HUB_HOSTS:
        raise BadReferenceError(f"'{ref}' is not a hub file reference such as hf.co/ORG/REPO/FILE.gguf")
    # Split on the raw '/' first, then decode each segment: a revision may be 'refs%2Fpr%2F1'. The
    # file path is checked after decoding, so '%2F..%2F' or '%5C' cannot smuggle a traversal in.
    segments = [unquote(s) for s in parts.path.split("/") if s]
    revision = None
    if len(segments) >= 5 and segments[2] in ("resolve", "blob"):
        revision = segments[3]
        segments = segments[:2] + segments[4:]
    if len(segments) < 3 or not all(_REPO_PART.match(s) for s in segments[:2]):
        raise BadReferenceError(f"'{ref}' must name a repository and a file: hf.co/ORG/REPO/FILE")
    if revision is not None and not _REVISION.match(revision):
        raise BadReferenceError(f"'{ref}' names an unusable revision {revision!r}")
    path = "/".join(segments[2:])
    try:
        check_relative_path(path)
    except UnsafeNameError as exc:
        raise BadReferenceError(f"'{ref}': {exc}") from None
    return f"{segments[0]}/{segments[1]}", path, revision


def request_for_hub_file(ref: str, model_id: str | None = None) -> DownloadRequest:
    repo, path, revision = parse_hub_ref(ref)
    if not path.lower().endswith(".gguf"):
        raise BadReferenceError(
            f"'{path}' is not a .gguf file; single files must be GGUF models (ONNX models come as catalog cards)"
        )
    stem = PurePosixPath(path).stem
    return DownloadRequest(
        repo=repo,
        files=(WantedFile(path, "model"),),
        model_id=model_id or slugify(stem),
        name=stem,
        format=ModelFormat.gguf,
        revision=revision,
        tasks=("chat",),
    )
