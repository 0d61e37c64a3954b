"""Open an untrusted image file as an 8-bit RGB picture, or fail with one clear sentence.

Only the formats captioning tools meet in practice are decoded (PNG, JPEG, WebP, GIF, BMP,
TIFF), so Pillow's rarer decoders never see user files. EXIF orientation is applied, the first
frame of an animation is used, and every mode (palette, greyscale, 16-bit, CMYK, alpha) ends
up as RGB; transparent pixels are composited onto white, as transformers' `convert_rgb` does.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engines.errors import CandeiaError
from engines.paths import readable_file_size

PIL_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
SUPPORTED_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".gif", ".bmp", ".dib", ".tif", ".tiff"}
)
# Pillow's own default (about 89 megapixels, a 1 GB RGBA bitmap); larger images are refused.
MAX_PIXELS = 89_478_485


class ImageFileError(CandeiaError, ValueError):
    """One image cannot be used; a batch records it and goes on with the next file."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def load_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode `path` into an RGB image (fully loaded, file closed)."""
    path = Path(path)
    size = readable_file_size(path, ImageFileError, "an image")
    if size == 0:
        raise ImageFileError(path, "is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=PIL_FORMATS) as opened:
                width, height = opened.size
                if width <= 0 or height <= 0:
                    raise ImageFileError(path, f"has an impossible size of {width}x{height} pixels")
                if width * height > max_pixels:
                    raise _too_large(path, width, height, max_pixels)
                opened.seek(0)  # first frame of an animated GIF/WebP or a multi-page TIFF
                opened.load()
                image = ImageOps.exif_transpose(opened) or opened
                return to_rgb(image)
    except ImageFileError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageFileError(path, f"is larger than {max_pixels:,} pixels (a possible decompression bomb)") from None
    except UnidentifiedImageError:
        raise ImageFileError(path, "is not an image in a supported format (PNG, JPEG, WebP, GIF, BMP, TIFF)") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        detail = str(exc) or type(exc).__name__
        if "truncated" in detail.lower():
            raise ImageFileError(path, "is truncated or damaged (the image data ends early)") from None
        raise ImageFileError(path, f"is damaged and cannot be decoded ({detail})") from None
    except MemoryError:
        raise ImageFileError(path, "is too large to decode in the available memory") from None


def _too_large(path: Path, width: int, height: int, limit: int) -> ImageFileError:
    return ImageFileError(
        path, f"is {width}x{height} pixels, more than the {limit:,}-pixel limit (a possible decompression bomb)"
    )


def _white_composite(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB: alpha onto white, 16/32-bit and float greyscale scaled to 0-255."""
    mode = image.mode
    if mode == "RGB":
        return image.copy()
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        return _white_composite(image)
    if mode.startswith("I;16") or mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode == "F":
            top = 1.0 if values.size and float(np.nanmax(values)) <= 1.0 else 255.0
        elif mode.startswith("I;16") or (values.size and float(values.max()) > 255):
            top = 65535.0
        else:
            top = 255.0
        grey = np.clip(np.nan_to_num(values) * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode == "1":
        return image.convert("L").convert("RGB")
    return image.convert("RGB")  # L, P, CMYK, YCbCr, LAB, HSV


def find_images(inputs: Iterable[str | Path], recursive: bool = False) -> Iterator[Path]:
    """Files named directly are yielded as they are (so a bad one gets its own error); folders are
    walked in sorted order for files with an image suffix, hidden files and folders skipped."""
    for item in inputs:
        path = Path(item)
        if not path.is_dir():
            yield path
            continue
        yield from _walk(path, recursive)


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    subfolders: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):  # no symlink loops
                if recursive:
                    subfolders.append(Path(entry.path))
            elif entry.is_file() and Path(entry.name).suffix.lower() in SUPPORTED_SUFFIXES:
                yield Path(entry.path)
        except OSError:
            continue
    for sub in subfolders:
        yield from _walk(sub, recursive)
