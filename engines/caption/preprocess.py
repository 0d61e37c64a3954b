"""Pixel values from `preprocessor_config.json`, equal to transformers' image processors.

Follows ViTImageProcessor (and the CLIP/BLIP-style shortest-edge + centre-crop variant):
resize with the configured Pillow resample filter, rescale (computed in float64, stored as
float32, like transformers), normalize with the configured mean and std, channels first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines.errors import InvalidModelFileError

_RESAMPLE = {0: Image.Resampling.NEAREST, 1: Image.Resampling.LANCZOS, 2: Image.Resampling.BILINEAR,
             3: Image.Resampling.BICUBIC, 4: Image.Resampling.BOX, 5: Image.Resampling.HAMMING}
IMAGENET_STANDARD = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class ImagePreprocessor:
    height: int | None = 224
    width: int | None = 224
    shortest_edge: int | None = None
    crop: tuple[int, int] | None = None  # (height, width) of a centre crop after resizing
    resample: Image.Resampling = Image.Resampling.BILINEAR
    do_resize: bool = True
    do_rescale: bool = True
    rescale_factor: float = 1 / 255
    do_normalize: bool = True
    mean: tuple[float, ...] = IMAGENET_STANDARD
    std: tuple[float, ...] = IMAGENET_STANDARD

    @classmethod
    def from_file(cls, path: Path) -> ImagePreprocessor:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidModelFileError(path, "is missing (the model folder needs its image preprocessor settings)") \
                from None
        except (OSError, ValueError) as exc:
            raise InvalidModelFileError(path, f"is not valid JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise InvalidModelFileError(path, "does not hold a JSON object")
        try:
            return cls.from_dict(raw)
        except (TypeError, ValueError, KeyError) as exc:
            raise InvalidModelFileError(path, f"has settings Candeia cannot use ({exc})") from None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ImagePreprocessor:
        size = raw.get("size", {"height": 224, "width": 224})
        height = width = shortest = None
        if isinstance(size, int):
            height = width = size
        elif isinstance(size, dict) and "height" in size and "width" in size:
            height, width = int(size["height"]), int(size["width"])
        elif isinstance(size, dict) and "shortest_edge" in size:
            shortest = int(size["shortest_edge"])
        else:
            raise ValueError(f"unsupported 'size' {size!r}")
        crop = None
        if raw.get("do_center_crop"):
            crop_size = raw.get("crop_size", size)
            if isinstance(crop_size, int):
                crop = (crop_size, crop_size)
            else:
                crop = (int(crop_size["height"]), int(crop_size["width"]))
        resample_id = int(raw.get("resample", 2))
        if resample_id not in _RESAMPLE:
            raise ValueError(f"unknown resample filter {resample_id}")
        mean = _triple(raw.get("image_mean", IMAGENET_STANDARD), "image_mean")
        std = _triple(raw.get("image_std", IMAGENET_STANDARD), "image_std")
        if any(s <= 0 for s in std):
            raise ValueError("image_std must be positive")
        for dim in (height, width, shortest, *(crop or ())):
            if dim is not None and not 0 < dim <= 8192:
                raise ValueError(f"impossible image size {dim}")
        return cls(
            height=height,
            width=width,
            shortest_edge=shortest,
            crop=crop,
            resample=_RESAMPLE[resample_id],
            do_resize=bool(raw.get("do_resize", True)),
            do_rescale=bool(raw.get("do_rescale", True)),
            rescale_factor=float(raw.get("rescale_factor", 1 / 255)),
            do_normalize=bool(raw.get("do_normalize", True)),
            mean=mean,
            std=std,
        )

    def _resize(self, image: Image.Image) -> Image.Image:
        if not self.do_resize:
            return image
        if self.shortest_edge is not None:
            w, h = image.size
            short, long = (w, h) if w <= h else (h, w)
            new_short, new_long = self.shortest_edge, int(self.shortest_edge * long / short)
            size = (new_short, new_long) if w <= h else (new_long, new_short)
        else:
            assert self.height is not None and self.width is not None
            size = (self.width, self.height)
        if image.size == size:
            return image
        return image.resize(size, resample=self.resample)

    def _crop(self, pixels: np.ndarray) -> np.ndarray:
        if self.crop is None:
            return pixels
        ch, cw = self.crop
        h, w = pixels.shape[:2]
        if ch > h or cw > w:  # transformers pads with zeros; real processors never need it
            padded = np.zeros((max(h, ch), max(w, cw), pixels.shape[2]), dtype=pixels.dtype)
            top, left = (max(h, ch) - h) // 2, (max(w, cw) - w) // 2
            padded[top:top + h, left:left + w] = pixels
            pixels, h, w = padded, padded.shape[0], padded.shape[1]
        top, left = (h - ch) // 2, (w - cw) // 2
        return pixels[top:top + ch, left:left + cw]

    def one(self, image: Image.Image) -> np.ndarray:
        """(3, H, W) float32 pixel values of one RGB image."""
        if image.mode != "RGB":
            image = image.convert("RGB")
        pixels = self._crop(np.asarray(self._resize(image)))
        values = pixels.astype(np.float64) * self.rescale_factor if self.do_rescale else pixels.astype(np.float64)
        out: np.ndarray[Any, np.dtype[np.float32]] = values.astype(np.float32)
        if self.do_normalize:
            mean = np.asarray(self.mean, dtype=np.float32)
            std = np.asarray(self.std, dtype=np.float32)
            out = ((out - mean) / std).astype(np.float32, copy=False)
        return np.ascontiguousarray(out.transpose(2, 0, 1))

    def __call__(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(N, 3, H, W) float32 pixel values; all images get the same size."""
        return np.stack([self.one(image) for image in images])


def _triple(value: Any, name: str) -> tuple[float, ...]:
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return tuple(float(v) for v in value)
    raise ValueError(f"'{name}' must be a number or three numbers")
