"""The image engine's API: what the CLI and the Create page call, whatever runs the model.

`open_image_engine(ref)` validates the weights file (before any native code sees it) and starts an
image host process (stable-diffusion.cpp, never in the same process as llama.cpp; or ONNX Runtime for an
ONNX folder, engines/imagegen/onnx). `generate` makes
`settings.batch_count` images; a seed of -1 is resolved once, and image i of a batch uses seed + i
(the AUTOMATIC1111 convention), so each `Generated.settings` re-makes its own image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engines.imagegen.settings import ImageSettings
from engines.jobs import CancelToken

if TYPE_CHECKING:
    from PIL import Image

# (step, total, preview): step counts from 1 over all images of the batch; preview is a small PNG
# of the current latent (None when the engine sends none for this step)
StepCallback = Callable[[int, int, "bytes | None"], None]


@dataclass(frozen=True)
class Generated:
    image: Image.Image  # RGB, settings.width x settings.height
    settings: ImageSettings  # with the seed actually used (never -1)
    seconds: float


class ImageEngine(Protocol):
    model_id: str  # the store id, or the file name for a path
    model_path: Path
    device: str  # "CPU", "GPU (CUDA)", ...

    def generate(self, settings: ImageSettings, *, cancel: CancelToken | None = None,
                 on_step: StepCallback | None = None) -> list[Generated]:
        """Raises Cancelled on cancel (within one step), EngineCrashedError("oom") when memory runs out."""
        ...

    def close(self) -> None: ...


def open_image_engine(ref: str | Path, *, threads: int | None = None) -> ImageEngine:
    """An installed model id, a .safetensors/.gguf path or an ONNX folder; raises InvalidModelFileError before
    loading."""
    from engines.imagegen.hosted import HostedImageEngine

    return HostedImageEngine.open(ref, threads=threads)
