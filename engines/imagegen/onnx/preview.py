"""A step's preview: the latent projected linearly to RGB, as stable-diffusion.cpp's "proj" preview and
AUTOMATIC1111's "Approx cheap" do (one 4x3 matrix; an eighth of the image's size, free next to a step)."""

from __future__ import annotations

import io

import numpy as np

# SD 1.x/2.x latent channels -> RGB (AUTOMATIC1111's approximation, in [-1, 1])
LATENT_RGB = np.array([[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721],
                       [-0.2120, -0.2616, -0.7177]], dtype=np.float32)


def latent_preview_png(latent: np.ndarray) -> bytes:
    """A (1, 4, h, w) latent as an h x w PNG."""
    from PIL import Image

    rgb = np.einsum("chw,cr->hwr", latent[0, :4].astype(np.float32), LATENT_RGB)
    pixels = ((np.clip(rgb, -1.0, 1.0) + 1.0) * 127.5).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
