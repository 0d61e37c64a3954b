"""The model card schema (pydantic v2). Unknown keys are rejected so typos never pass silently.

Numbers are numbers (never strings) and sizes are bytes, so the catalog can be sorted and
checked against free disk and memory without parsing.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CARD_SCHEMA_VERSION = 1

_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,79}$"
_SHA256_PATTERN = r"^[0-9a-f]{64}$"
_LANG_PATTERN = r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$"
_VERSION_PATTERN = r"^\d+\.\d+(?:\.\d+)?$"

LanguageCode = Annotated[str, Field(pattern=_LANG_PATTERN)]


Task = Literal["chat", "translate", "caption", "embed"]
Engine = Literal["llama.cpp", "onnxruntime"]
# "model": the main GGUF or an ONNX graph; "mmproj": the projector of a llama.cpp vision model.
FileRole = Literal["model", "mmproj", "encoder", "decoder", "config", "tokenizer", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CardFile(_Strict):
    path: str = Field(min_length=1, description="Path inside the repository, '/'-separated.")
    role: FileRole = "model"
    size: int | None = Field(default=None, gt=0, description="Size in bytes, when known.")
    sha256: str | None = Field(default=None, pattern=_SHA256_PATTERN)

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        parts = value.split("/")
        if value.startswith("/") or "\\" in value or any(p in ("", ".", "..") for p in parts):
            raise ValueError("must be a relative '/'-separated path without '..'")
        return value


class Source(_Strict):
    repo: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
    revision: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{40}$", description="Pinned commit, when known."
    )
    files: list[CardFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_paths(self) -> Source:
        paths = [f.path for f in self.files]
        if len(paths) != len(set(paths)):
            raise ValueError("file paths must be unique")
        return self

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)


class Recommended(_Strict):
    temperature: float | None = Field(default=None, ge=0, le=5)
    top_p: float | None = Field(default=None, gt=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    min_p: float | None = Field(default=None, ge=0, le=1)
    repeat_penalty: float | None = Field(default=None, ge=0.5, le=3)
    context_size: int | None = Field(default=None, ge=128)
    system_prompt: str | None = None


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
    license: str = Field(min_length=1, description="SPDX id or the licence's own name.")
    license_url: str | None = None
    homepage: str | None = None
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
        has_mmproj = any(f.role == "mmproj" for f in self.source.files)
        if self.engine == "llama.cpp" and "caption" in self.tasks and not has_mmproj:
            raise ValueError("a llama.cpp captioning card needs an mmproj file")
        for path in names:
            if re.search(r"\.(bin|pt|pth|pkl|pickle|ckpt)$", path, re.IGNORECASE):
                raise ValueError(f"{path}: pickle-based weights are never downloaded")
        return self

    @property
    def size(self) -> int | None:
        return self.source.total_size
