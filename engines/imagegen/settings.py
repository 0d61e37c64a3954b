"""The settings that make one image, and so re-make it: what the Create page, the CLI and PNG chunks share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ImageSettings:
    prompt: str
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    steps: int = 20
    guidance: float = 7.0
    sampler: str = "euler_a"
    seed: int = -1  # -1: pick one at random; the image records the seed actually used
    batch_count: int = 1
    init_image: Path | None = None  # img2img
    strength: float = 0.75  # img2img: how far from the init image


@dataclass(frozen=True)
class GeneratedImage:
    path: Path  # a PNG in the gallery (or where -o put it) with the settings in its text chunks
    settings: ImageSettings  # with the seed actually used
    model_id: str
    seconds: float
