"""Plain data shared by the caption engines, the batch runner, the CLI and the GUI page."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from engines.jobs import CancelToken


class CaptionStyle(str, Enum):
    short = "short"
    detailed = "detailed"
    alt = "alt"


@dataclass(frozen=True)
class CaptionOptions:
    style: CaptionStyle = CaptionStyle.short
    prompt: str | None = None  # a free question about the image (vision-language models only)
    max_new_tokens: int | None = None  # None: the model's own default
    num_beams: int | None = None  # ONNX models; None: the model's generation_config
    batch_size: int = 4


@dataclass(frozen=True)
class CaptionResult:
    """One image's outcome: a caption, or an error sentence (never both)."""

    path: Path
    caption: str | None = None
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False  # already captioned by an earlier run (resume)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": str(self.path)}
        if self.error is None:
            data["caption"] = self.caption
        else:
            data["error"] = self.error
        if self.skipped:
            data["skipped"] = True
        else:
            data["seconds"] = round(self.seconds, 4)
        return data


class Captioner(Protocol):
    """What the batch runner, the CLI and the GUI need from an engine."""

    @property
    def name(self) -> str: ...

    @property
    def preferred_batch_size(self) -> int: ...

    @property
    def supports_prompts(self) -> bool:
        """Whether styles and free questions (`CaptionOptions.prompt`) mean anything to this model."""
        ...

    def caption_images(
        self, images: list[Image.Image], options: CaptionOptions, cancel: CancelToken | None = None
    ) -> list[str]: ...

    def close(self) -> None: ...
