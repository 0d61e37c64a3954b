"""Settings a generation can run with, and whether it fits in memory, checked before the host is asked.

Memory: stable-diffusion.cpp holds the weights as stored (f16 or quantized; f32 files stay f32) plus
one compute buffer at a time (text encoder, UNet, then VAE decoder). The VAE decoder's is the largest
and grows with the pixel count; the UNet's self-attention grows with its square. The constants are
stable-diffusion.cpp's own reported buffer sizes for SD 1.x at 512x512 (docs/image-generation.md).
"""

from __future__ import annotations

from engines.errors import CandeiaError, UsageError
from engines.imagegen.samplers import sampler
from engines.imagegen.settings import ImageSettings
from engines.imagegen.weights import ImageModelInfo
from engines.system.sizes import human_size

MIN_SIDE, MAX_SIDE, SIDE_STEP = 64, 2048, 64
MAX_STEPS = 150
MAX_BATCH = 16
MAX_GUIDANCE = 30.0
MIB = 1 << 20
RUNTIME = 300 * MIB  # the host process: Python, Pillow, stable-diffusion.cpp and its tables
REF_PIXELS = 512 * 512
# compute buffers at 512x512 (SDXL's native 1024x1024 is 4x the pixels): VAE linear, UNet attention quadratic
VAE_AT_REF = {"sd1": 1664 * MIB, "sd2": 1664 * MIB, "sdxl": 1664 * MIB}
UNET_LINEAR_AT_REF = {"sd1": 160 * MIB, "sd2": 160 * MIB, "sdxl": 130 * MIB}
UNET_SQUARE_AT_REF = {"sd1": 400 * MIB, "sd2": 400 * MIB, "sdxl": 60 * MIB}  # SDXL has no attention at 64x64
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


def activation_bytes(family: str, width: int, height: int) -> int:
    """The largest compute buffer stable-diffusion.cpp allocates for one image of this size."""
    share = width * height / REF_PIXELS
    unet = UNET_LINEAR_AT_REF[family] * share + UNET_SQUARE_AT_REF[family] * share * share
    return int(max(unet, VAE_AT_REF[family] * share))


def needed_bytes(weight_bytes: int, family: str, width: int, height: int) -> int:
    """Weights + the largest compute buffer + the process itself: what "will it fit" compares with free RAM."""
    return weight_bytes + activation_bytes(family, width, height) + RUNTIME


def check_memory(info: ImageModelInfo, settings: ImageSettings, available: int | None = None) -> None:
    """ImageTooLargeError before a generation that cannot fit (the host would be killed half way)."""
    if available is None:
        from engines.system.memory import memory

        available = memory()[1]
    if available is None:
        return
    needed = needed_bytes(info.weight_bytes, info.family, settings.width, settings.height)
    if needed > available * COMFORT:
        raise ImageTooLargeError(
            f"{settings.width}x{settings.height} needs about {human_size(needed)} of memory with this model, "
            f"and {human_size(available)} is free; choose a smaller size")
