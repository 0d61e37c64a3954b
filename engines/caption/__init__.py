"""Image captioning: ONNX vision-encoder-decoder models and llama.cpp vision models.

The public entry points are `open_captioner` (a model id or path in, a Captioner out) and
`caption_paths` (images and folders in, one CaptionResult per image out, with progress,
cancel, resume and CSV / JSON Lines / sidecar output).
"""

from __future__ import annotations

from .images import SUPPORTED_SUFFIXES, ImageFileError, find_images, load_image
from .types import CaptionOptions, CaptionResult, CaptionStyle

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CaptionOptions",
    "CaptionResult",
    "CaptionStyle",
    "ImageFileError",
    "find_images",
    "load_image",
]
