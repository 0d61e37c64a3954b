"""Captioning's image reading lives in engines/security/images.py (image generation uses it too)."""

from engines.security.images import (
    MAX_PIXELS,
    PIL_FORMATS,
    SUPPORTED_SUFFIXES,
    ImageFileError,
    find_images,
    load_image,
    to_rgb,
)

__all__ = ["MAX_PIXELS", "PIL_FORMATS", "SUPPORTED_SUFFIXES", "ImageFileError", "find_images", "load_image", "to_rgb"]
