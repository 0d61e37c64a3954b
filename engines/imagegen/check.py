"""Settings a generation can run with, and whether it fits in memory, checked before the host is asked
(the memory model is the catalog's, engines/cards/image_fit.py)."""

from __future__ import annotations

from engines.cards.image_fit import needed_bytes
from engines.errors import CandeiaError, UsageError
from engines.imagegen.samplers import sampler
from engines.imagegen.settings import ImageSettings
from engines.imagegen.weights import ImageModelInfo
from engines.system.sizes import human_size

MIN_SIDE, MAX_SIDE, SIDE_STEP = 64, 2048, 64
MAX_STEPS = 150
MAX_BATCH = 16
MAX_GUIDANCE = 30.0
COMFORT = 0.9


class ImageTooLargeError(CandeiaError, MemoryError):
    """The chosen size needs more memory than the computer has free."""


def check_settings(settings: ImageSettings) -> None:
    """UsageError with one sentence for a setting no model can run with."""
    if not settings.prompt.strip():
        raise UsageError("the prompt is empty")
    for name, side in (("width", settings.width), ("height", settings.height)):
        if not MIN_SIDE <= side <= MAX_SIDE or side % SIDE_STEP:
            raise UsageError(f"the {name} must be a multiple of {SIDE_STEP} from {MIN_SIDE} to {MAX_SIDE} "
                             f"pixels (got {side})")
    if not 1 <= settings.steps <= MAX_STEPS:
        raise UsageError(f"steps must be from 1 to {MAX_STEPS} (got {settings.steps})")
    if not 0.0 <= settings.guidance <= MAX_GUIDANCE:
        raise UsageError(f"guidance must be from 0 to {MAX_GUIDANCE:g} (got {settings.guidance:g})")
    if not 1 <= settings.batch_count <= MAX_BATCH:
        raise UsageError(f"the batch count must be from 1 to {MAX_BATCH} (got {settings.batch_count})")
    if settings.init_image is not None and not 0.0 < settings.strength <= 1.0:
        raise UsageError(f"strength must be above 0 and at most 1 (got {settings.strength:g})")
    sampler(settings.sampler)


def check_memory(info: ImageModelInfo, settings: ImageSettings, available: int | None = None) -> None:
    """ImageTooLargeError before a generation that cannot fit (the host would be killed half way)."""
    if available is None:
        from engines.system.memory import memory

        available = memory()[1]
    if available is None:
        return
    needed = needed_bytes(info.weight_bytes, settings.width, settings.height, onnx=info.format == "onnx")
    if needed > available * COMFORT:
        raise ImageTooLargeError(
            f"{settings.width}x{settings.height} needs about {human_size(needed)} of memory with this model, "
            f"and {human_size(available)} is free; choose a smaller size")
