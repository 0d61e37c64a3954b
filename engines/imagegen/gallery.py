"""The gallery: the images made (or dropped in), as PNGs in one folder of the data folder.

Each PNG carries its settings in the `parameters` chunk (png_params.py), so the folder is the whole
record: no index file to get out of step. Listing reads only the folder (names, times, sizes);
thumbnails are made on demand from a decoded, checked image and cached by path, time and size.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from engines.atomic import atomic_write_bytes
from engines.imagegen.png_params import PARAMETERS_KEY, format_parameters, png_info, read_parameters
from engines.imagegen.settings import ImageSettings
from engines.images.decode import ImageFileError, load_image
from engines.paths import cache_dir, gallery_dir

THUMBNAIL_SIZE = 256  # pixels on the longer side
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class GalleryItem:
    path: Path
    modified: float  # seconds since the epoch
    size: int  # bytes


def png_bytes(image: Image.Image, settings: ImageSettings | None = None, model_id: str | None = None) -> bytes:
    """The PNG of `image`, with `settings` in its `parameters` chunk when given."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=png_info(settings, model_id) if settings is not None else None)
    return buffer.getvalue()


def is_png(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(_PNG_MAGIC)) == _PNG_MAGIC
    except OSError:
        return False


class Gallery:
    def __init__(self, folder: Path | None = None, thumbnails: Path | None = None) -> None:
        self.folder = folder if folder is not None else gallery_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thumbnails = thumbnails if thumbnails is not None else cache_dir() / "thumbnails"

    # -- listing -------------------------------------------------------------------------------------
    def items(self) -> list[GalleryItem]:
        """The gallery's PNGs, newest first; half-written files (hidden temporaries) are skipped."""
        found: list[GalleryItem] = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return []
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(".png"):
                continue
            try:
                if entry.is_file():
                    stat = entry.stat()
                    found.append(GalleryItem(Path(entry.path), stat.st_mtime, stat.st_size))
            except OSError:
                continue  # removed while listing
        return sorted(found, key=lambda item: (item.modified, item.path.name), reverse=True)

    def contains(self, path: Path) -> bool:
        return path.resolve().parent == self.folder.resolve()

    def new_path(self, stem: str) -> Path:
        """A free `stem.png` in the gallery (`stem-2.png`, … when taken)."""
        stem = _UNSAFE.sub("_", stem).strip("._") or "image"
        candidate = self.folder / f"{stem[:80]}.png"
        number = 2
        while candidate.exists():
            candidate = self.folder / f"{stem[:80]}-{number}.png"
            number += 1
        return candidate

    # -- adding -------------------------------------------------------------------------------------
    def save(self, image: Image.Image, settings: ImageSettings, model_id: str) -> Path:
        """Save a generated image (its settings must hold the seed used) atomically; returns its path."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.new_path(f"{stamp}-{settings.seed}")
        atomic_write_bytes(path, png_bytes(image, settings, model_id))
        return path

    def import_image(self, source: Path) -> Path:
        """Add an image from outside: checked as captioning checks images (ImageFileError if broken or a
        decompression bomb). A PNG is copied as it is (all its chunks kept); other formats become a PNG
        that keeps the settings they carry (A1111's EXIF comment)."""
        picture = load_image(source)
        if self.contains(source):
            return source
        target = self.new_path(source.stem)
        if is_png(source):
            atomic_write_bytes(target, source.read_bytes())
            return target
        parameters = read_parameters(source)
        data = io.BytesIO()
        if parameters is not None:
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_text(PARAMETERS_KEY, format_parameters(parameters.settings, parameters.model_id))
            picture.save(data, format="PNG", pnginfo=info)
        else:
            picture.save(data, format="PNG")
        atomic_write_bytes(target, data.getvalue())
        return target

    # -- using --------------------------------------------------------------------------------------
    def save_as(self, path: Path, target: Path) -> Path:
        """Copy an image out of the gallery, chunks and all; a name without `.png` gets it. Returns the copy."""
        if target.suffix.lower() != ".png":
            target = target.with_name(target.name + ".png")
        atomic_write_bytes(target, path.read_bytes())
        return target

    def delete(self, path: Path) -> None:
        """Delete a gallery image and its cached thumbnail; only files inside the gallery."""
        if not self.contains(path):
            raise ImageFileError(path, "is not in the gallery")
        with contextlib.suppress(OSError):  # no thumbnail; the image itself must go
            self._thumbnail_path(path, THUMBNAIL_SIZE).unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def _thumbnail_path(self, path: Path, size: int) -> Path:
        stat = path.stat()
        key = f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{size}"
        return self._thumbnails / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.png"

    def thumbnail(self, path: Path, size: int = THUMBNAIL_SIZE) -> Path:
        """A PNG at most `size` pixels wide and high, made once per version of the image (ImageFileError
        when the image cannot be decoded)."""
        try:
            cached = self._thumbnail_path(path, size)
        except OSError as exc:
            raise ImageFileError(path, f"cannot be read ({exc.strerror or exc})") from None
        if cached.is_file():
            return cached
        picture = load_image(path)
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        atomic_write_bytes(cached, png_bytes(picture), durable=False)  # a cache: rebuilt if lost
        return cached
