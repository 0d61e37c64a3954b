"""The model card schema (pydantic v2). Unknown keys are rejected so typos never pass silently.

Numbers are numbers (never strings) and sizes are bytes, so the catalog can be sorted and
checked against free disk and memory without parsing. Every file is pinned: a revision, a size
and a sha256 (or "unknown", learnt on first download), and placeholder-looking hashes are
refused (docs/catalog.md says where each card's pins come from).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engines.cards.hashes import UNKNOWN_SHA256, looks_made_up

CARD_SCHEMA_VERSION = 2

_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,79}$"
_SHA256_PATTERN = r"^(?:[0-9a-f]{64}|unknown)$"
_COMMIT_PATTERN = r"^[0-9a-f]{40}$"
_BRANCH_PATTERN = r"^(?:[0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._-]{0,99})$"
_LANG_PATTERN = r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$"
_VERSION_PATTERN = r"^\d+\.\d+(?:\.\d+)?$"

LanguageCode = Annotated[str, Field(pattern=_LANG_PATTERN)]


Task = Literal["chat", "translate", "caption", "embed", "image"]
CommercialUse = Literal["yes", "no", "conditions"]
Engine = Literal["llama.cpp", "onnxruntime", "stable-diffusion.cpp"]
# "model": the main GGUF or an ONNX graph; "mmproj": the projector of a llama.cpp vision model.
FileRole = Literal["model", "mmproj", "encoder", "decoder", "config", "tokenizer", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CardFile(_Strict):
    path: str = Field(min_length=1, description="Path inside the repository, '/'-separated.")
    role: FileRole = "model"
    size: int = Field(gt=0, description="Size in bytes, from a public record (the hub's file listing).")
    sha256: str = Field(
        pattern=_SHA256_PATTERN,
        description="The file's sha256 (the LFS object id), or 'unknown' where no public record gives it: "
                    "the first download then records it and later downloads must match.",
    )

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        parts = value.split("/")
        if value.startswith("/") or "\\" in value or any(p in ("", ".", "..") for p in parts):
            raise ValueError("must be a relative '/'-separated path without '..'")
        return value

    @field_validator("sha256")
    @classmethod
    def _real_hash(cls, value: str) -> str:
        if value != UNKNOWN_SHA256 and looks_made_up(value):
            raise ValueError("looks like a placeholder, not a real sha256 (write 'unknown' if no record gives it)")
        return value

    @property
    def known_sha256(self) -> str | None:
        return None if self.sha256 == UNKNOWN_SHA256 else self.sha256


class Source(_Strict):
    repo: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
    revision: str = Field(
        pattern=_BRANCH_PATTERN,
        description="The commit the files are pinned to (40 hex digits). A branch name is accepted only when "
                    "every file has a known sha256, so the bytes stay pinned even if the branch moves.",
    )
    files: list[CardFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _pinned(self) -> Source:
        paths = [f.path for f in self.files]
        if len(paths) != len(set(paths)):
            raise ValueError("file paths must be unique")
        is_commit = re.match(_COMMIT_PATTERN, self.revision) is not None
        if is_commit and looks_made_up(self.revision):
            raise ValueError("the revision looks like a placeholder, not a real commit")
        if not is_commit and any(f.known_sha256 is None for f in self.files):
            raise ValueError("a file without a known sha256 needs the revision pinned to a commit")
        return self

    @property
    def pinned_commit(self) -> str | None:
        return self.revision if re.match(_COMMIT_PATTERN, self.revision) else None

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


class Licence(_Strict):
    """What the user may do with the weights, shown as a badge and asked about before a download."""

    id: str = Field(min_length=1, max_length=80, description="SPDX id, or the vendor's licence name.")
    commercial_use: CommercialUse = Field(description="yes, no, or conditions (read the terms).")
    gated: bool = Field(default=False, description="The hub asks for a token and accepting the terms.")
    attribution: str | None = Field(
        default=None, max_length=300, description="What anyone sharing the outputs or the model must credit."
    )
    url: str = Field(pattern=r"^https://", description="Where the terms are.")

    @property
    def needs_consent(self) -> bool:
        """Downloading asks the user once: the terms restrict commercial use or the hub gates the files."""
        return self.commercial_use == "no" or self.gated


class Recommended(_Strict):
    temperature: float | None = Field(default=None, ge=0, le=5)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    min_p: float | None = Field(default=None, ge=0, le=1)
    repeat_penalty: float | None = Field(default=None, ge=0.5, le=3)
    context_size: int | None = Field(default=None, ge=128)
    system_prompt: str | None = None
    # image models (task "image"): the model's own recommendation, e.g. SD-Turbo 1-4 steps at guidance 0
    steps: int | None = Field(default=None, ge=1, le=150)
    guidance: float | None = Field(default=None, ge=0, le=30)
    sampler: str | None = Field(default=None, max_length=32)
    image_size: int | None = Field(default=None, ge=64, le=2048, description="Native square size in pixels.")


class Shape(_Strict):
    """The transformer shape that sizes the KV cache, from the model's own config, for fit estimates."""

    layers: int = Field(ge=1, le=1000)
    kv_heads: int = Field(ge=1, le=1024)
    head_dim: int = Field(ge=1, le=4096)


class ModelCard(_Strict):
    schema_version: int = Field(default=CARD_SCHEMA_VERSION, ge=1, le=CARD_SCHEMA_VERSION)
    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    description: str = ""
    tasks: list[Task] = Field(min_length=1)
    engine: Engine
    source: Source
    parameters: int | None = Field(default=None, gt=0, description="Parameter count.")
    quantization: str | None = Field(default=None, max_length=32)
    context_length: int | None = Field(default=None, ge=1)
    languages: list[LanguageCode] = Field(default_factory=list)
    language_pairs: list[tuple[LanguageCode, LanguageCode]] = Field(default_factory=list)
    licence: Licence
    homepage: str | None = None
    name_i18n: dict[LanguageCode, str] = Field(default_factory=dict, description="The name in other UI languages.")
    description_i18n: dict[LanguageCode, str] = Field(
        default_factory=dict, description="The description in other UI languages (pt_BR for Portuguese)."
    )
    recommended: Recommended = Field(default_factory=Recommended)
    shape: Shape | None = None
    min_app_version: str = Field(default="0.1.0", pattern=_VERSION_PATTERN)

    @model_validator(mode="after")
    def _consistent(self) -> ModelCard:
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError("tasks must not repeat")
        names = [f.path for f in self.source.files]
        if self.engine == "llama.cpp" and not any(n.lower().endswith(".gguf") for n in names):
            raise ValueError("a llama.cpp card needs a .gguf file")
        if self.engine == "onnxruntime" and not any(n.lower().endswith(".onnx") for n in names):
            raise ValueError("an onnxruntime card needs .onnx files")
        if self.engine == "stable-diffusion.cpp" and not any(
                n.lower().endswith((".safetensors", ".gguf")) for n in names):
            raise ValueError("a stable-diffusion.cpp card needs a .safetensors or .gguf file")
        has_mmproj = any(f.role == "mmproj" for f in self.source.files)
        if self.engine == "llama.cpp" and "caption" in self.tasks and not has_mmproj:
            raise ValueError("a llama.cpp captioning card needs an mmproj file")
        for path in names:
            if re.search(r"\.(bin|pt|pth|pkl|pickle|ckpt)$", path, re.IGNORECASE):
                raise ValueError(f"{path}: pickle-based weights are never downloaded")
        return self

    @property
    def size(self) -> int:
        return self.source.total_size

    def localized_name(self, language: str) -> str:
        return _pick(self.name_i18n, language) or self.name

    def localized_description(self, language: str) -> str:
        return _pick(self.description_i18n, language) or self.description

    def speaks(self, language: str) -> bool:
        """Whether the card lists `language` (a UI language such as "pt_BR" matches "pt")."""
        base = _base(language)
        return any(_base(code) == base for code in self.languages) or any(
            base in (_base(src), _base(tgt)) for src, tgt in self.language_pairs
        )


def _base(code: str) -> str:
    return re.split(r"[-_]", code, maxsplit=1)[0].lower()


def _pick(table: dict[str, str], language: str) -> str | None:
    """The exact locale, else any entry of the same language ("pt" finds "pt_BR")."""
    wanted = language.replace("-", "_")
    if wanted in table:
        return table[wanted]
    base = _base(wanted)
    return next((text for code, text in table.items() if _base(code) == base), None)
