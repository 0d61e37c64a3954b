"""Will an image model fit? Its weights + stable-diffusion.cpp's largest compute buffer at the image size.

stable-diffusion.cpp holds the weights as stored (f16 or quantized; f32 files stay f32) plus one compute
buffer at a time (text encoder, UNet, then VAE decoder). The VAE decoder's is the largest at SD sizes and
grows with the pixel count; the UNet's self-attention grows with its square. The constants are estimates
for SD 1.x/2.x at 512x512; at 256x256 the estimate was 8% above a measured peak (docs/image-generation.md).
"""

from __future__ import annotations

from engines.cards.fit import FitEstimate, _verdict
from engines.hardware.machine import Hardware
from engines.system.sizes import human_size

MIB = 1 << 20
RUNTIME = 300 * MIB  # the image host process: Python, Pillow, stable-diffusion.cpp and its tables
REF_PIXELS = 512 * 512
VAE_AT_REF = 1664 * MIB  # linear in the pixels
UNET_LINEAR_AT_REF = 160 * MIB
UNET_SQUARE_AT_REF = 400 * MIB  # self-attention over 64x64 latent tokens: quadratic in the pixels


def activation_bytes(width: int, height: int) -> int:
    """The largest compute buffer stable-diffusion.cpp allocates for one image of this size."""
    share = width * height / REF_PIXELS
    unet = UNET_LINEAR_AT_REF * share + UNET_SQUARE_AT_REF * share * share
    return int(max(unet, VAE_AT_REF * share))


def needed_bytes(weight_bytes: int, width: int, height: int) -> int:
    """Weights + the largest compute buffer + the process itself, to compare with free RAM."""
    return weight_bytes + activation_bytes(width, height) + RUNTIME


def image_estimate(weight_bytes: int, side: int, hardware: Hardware) -> FitEstimate:
    """The fit of an image model making side x side images, on the CPU (RAM)."""
    compute = activation_bytes(side, side) + RUNTIME
    needed = weight_bytes + compute
    free = hardware.ram_available
    detail = (f"{human_size(needed)} needed (weights {human_size(weight_bytes)} + {human_size(compute)} to make a "
              f"{side}x{side} image) of {human_size(free)} free RAM")
    return FitEstimate(_verdict(needed, free), "RAM", 0, weight_bytes, None, compute, needed, free, detail,
                       ram=needed, vram=0)
