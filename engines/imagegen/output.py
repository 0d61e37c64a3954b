"""Where `candeia-cli imagine` writes its PNGs: the gallery (as the Create page does), or the path given.

The PNG bytes, with the settings in the `parameters` chunk, are the gallery's (engines/imagegen/gallery.py),
so an image from the CLI and one from the Create page re-make the same way. Writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

from engines.atomic import atomic_write_bytes
from engines.imagegen.engine import Generated
from engines.imagegen.gallery import Gallery, png_bytes
from engines.imagegen.settings import GeneratedImage


def output_paths(count: int, out: Path) -> list[Path]:
    """`out` for one image; OUT-1.png, OUT-2.png ... for a batch."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i + 1}{out.suffix or '.png'}") for i in range(count)]


def save_images(images: list[Generated], model_id: str, out: Path | None = None,
                gallery: Gallery | None = None) -> list[GeneratedImage]:
    """Each image into the gallery (`out` None) or to `out` (numbered for a batch)."""
    paths: list[Path] = []
    if out is None:
        gallery = gallery or Gallery()
        paths = [gallery.save(g.image, g.settings, model_id) for g in images]
    else:
        for generated, path in zip(images, output_paths(len(images), out), strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, png_bytes(generated.image, generated.settings, model_id), durable=False)
            paths.append(path)
    return [GeneratedImage(path=path, settings=g.settings, model_id=model_id, seconds=g.seconds)
            for g, path in zip(images, paths, strict=True)]
