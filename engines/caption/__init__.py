"""Image captioning: ONNX vision-encoder-decoder models and llama.cpp vision models.

The public entry points are `open_captioner` (a model id or path in, a Captioner out) and
`caption_paths` (images and folders in, one CaptionResult per image out, with a CancelToken,
a progress callback, resume and CSV / JSON Lines / sidecar output). A GUI page runs
`caption_paths` in a worker and shows each result as it arrives.
"""

from __future__ import annotations

from engines.caption.api import open_captioner
from engines.caption.batch import BatchOptions, caption_paths
from engines.caption.types import Captioner, CaptionOptions, CaptionResult, CaptionStyle
from engines.images.decode import SUPPORTED_SUFFIXES, ImageFileError, find_images, load_image

__all__ = [
    "SUPPORTED_SUFFIXES",
    "BatchOptions",
    "CaptionOptions",
    "CaptionResult",
    "CaptionStyle",
    "Captioner",
    "ImageFileError",
    "caption_paths",
    "find_images",
    "load_image",
    "open_captioner",
]
