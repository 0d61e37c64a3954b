"""Will an image model fit? Its weights + the engine's largest compute memory at the image size.

stable-diffusion.cpp holds the weights as stored (f16 or quantized; f32 files stay f32) plus one compute
buffer at a time (text encoder, UNet, then VAE decoder). The VAE decoder's is the largest at SD sizes and
grows with the pixel count; the UNet's self-attention grows with its square. The constants are estimates
for SD 1.x/2.x at 512x512; at 256x256 the estimate was 8% above a measured peak (docs/image-generation.md).

The ONNX engine holds fp32 weights (counted in weight_bytes) and ONNX Runtime's arena for the VAE
decoder's fp32 activations, which at 512x512 is more than twice stable-diffusion.cpp's buffer: measured
peaks of its host were 4.65 GiB at 256x256 and 8.15 GiB at 512x512 for SD 1.5 (3.98 GiB of weights),
so its decoder constant is set from the 512x512 peak (and is 0.6 GiB above the peak at 256x256).
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
ONNX_VAE_AT_REF = 3968 * MIB  # the ONNX engine's decoder activations (fp32, ONNX Runtime's arena)


def activation_bytes(width: int, height: int, *, onnx: bool = False) -> int:
    """The largest compute memory the engine needs for one image of this size (stable-diffusion.cpp's
    buffer, or with `onnx` the ONNX engine's)."""
    share = width * height / REF_PIXELS
    unet = UNET_LINEAR_AT_REF * share + UNET_SQUARE_AT_REF * share * share
    return int(max(unet, (ONNX_VAE_AT_REF if onnx else VAE_AT_REF) * share))


def needed_bytes(weight_bytes: int, width: int, height: int, *, onnx: bool = False) -> int:
    """Weights + the largest compute memory + the process itself, to compare with free RAM."""
    return weight_bytes + activation_bytes(width, height, onnx=onnx) + RUNTIME


def image_estimate(weight_bytes: int, side: int, hardware: Hardware) -> FitEstimate:
    """The fit of an image model making side x side images, on the CPU (RAM)."""
    compute = activation_bytes(side, side) + RUNTIME
    needed = weight_bytes + compute
    free = hardware.ram_available
    detail = (f"{human_size(needed)} needed (weights {human_size(weight_bytes)} + {human_size(compute)} to make a "
              f"{side}x{side} image) of {human_size(free)} free RAM")
    return FitEstimate(_verdict(needed, free), "RAM", 0, weight_bytes, None, compute, needed, free, detail,
                       ram=needed, vram=0)
