"""Write generated images as PNG with their settings in the `parameters` chunk (engines/imagegen/png_params.py).

Without an explicit path an image goes to the gallery folder of the data folder, named by time and seed
so names never collide and sort in the order they were made. Writes are atomic: a crash leaves no half PNG.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from engines.atomic import atomic_write_bytes
from engines.imagegen.engine import Generated
from engines.imagegen.png_params import png_info
from engines.imagegen.settings import GeneratedImage


def png_bytes(generated: Generated, model_id: str) -> bytes:
    buffer = io.BytesIO()
    generated.image.save(buffer, format="PNG", pnginfo=png_info(generated.settings, model_id))
    return buffer.getvalue()


def output_paths(count: int, out: Path | None, folder: Path | None = None) -> list[Path]:
    """`out` for one image; OUT-1.png, OUT-2.png ... for a batch; the gallery when `out` is None."""
    if out is not None:
        if count == 1:
            return [out]
        return [out.with_name(f"{out.stem}-{i + 1}{out.suffix or '.png'}") for i in range(count)]
    if folder is None:
        from engines.paths import gallery_dir

        folder = gallery_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    paths: list[Path] = []
    for i in range(count):
        candidate, n = folder / f"{stamp}-{i + 1:02d}.png", 1
        while candidate.exists():
            n += 1
            candidate = folder / f"{stamp}-{i + 1:02d}-{n}.png"
        paths.append(candidate)
    return paths


def save_images(images: list[Generated], model_id: str, out: Path | None = None,
                folder: Path | None = None) -> list[GeneratedImage]:
    saved: list[GeneratedImage] = []
    for generated, path in zip(images, output_paths(len(images), out, folder), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, png_bytes(generated, model_id), durable=False)
        saved.append(GeneratedImage(path=path, settings=generated.settings, model_id=model_id,
                                    seconds=generated.seconds))
    return saved
