"""The gallery folder: atomic PNG saves with settings, newest first, thumbnails, delete, save as, imports."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from image_files import png_header_only
from PIL import Image

from engines.imagegen.gallery import Gallery, is_png
from engines.imagegen.png_params import read_parameters
from engines.imagegen.settings import ImageSettings
from engines.images.decode import ImageFileError
from engines.paths import gallery_dir

SETTINGS = ImageSettings(prompt="a red square", negative_prompt="blue", steps=2, guidance=0.0, seed=99,
                         width=32, height=24)


@pytest.fixture
def gallery(tmp_path: Path) -> Gallery:
    return Gallery(tmp_path / "gallery", tmp_path / "thumbs")


def _picture(colour: tuple[int, int, int] = (200, 10, 10), size: tuple[int, int] = (32, 24)) -> Image.Image:
    return Image.new("RGB", size, colour)


def test_gallery_lives_in_the_data_folder() -> None:
    assert gallery_dir() == Path(os.environ["CANDEIA_HOME"]) / "gallery" and gallery_dir().is_dir()


def test_save_writes_a_png_with_its_settings_and_lists_newest_first(gallery: Gallery) -> None:
    first = gallery.save(_picture(), SETTINGS, "tiny-sd")
    second = gallery.save(_picture((0, 200, 0)), SETTINGS, "tiny-sd")  # same second, same seed: a new name
    assert first != second and first.parent == gallery.folder
    os.utime(first, (1_000_000, 1_000_000))
    (gallery.folder / ".second.png.123.tmp").write_bytes(b"half")  # an atomic write in progress
    (gallery.folder / "notes.txt").write_text("x")
    assert [item.path for item in gallery.items()] == [second, first]
    parsed = read_parameters(first)
    assert parsed is not None and parsed.settings == SETTINGS and parsed.model_id == "tiny-sd"
    with Image.open(first) as image:
        assert image.size == (32, 24) and image.getpixel((0, 0)) == (200, 10, 10)


def test_thumbnail_is_small_cached_and_follows_changes(gallery: Gallery) -> None:
    path = gallery.save(_picture(size=(600, 300)), SETTINGS, "m")
    thumb = gallery.thumbnail(path, 64)
    with Image.open(thumb) as image:
        assert image.size == (64, 32)
    assert gallery.thumbnail(path, 64) == thumb  # cached
    _picture((0, 0, 255), (300, 600)).save(path)
    os.utime(path, (2_000_000, 2_000_000))
    again = gallery.thumbnail(path, 64)
    assert again != thumb
    with Image.open(again) as image:
        assert image.size == (32, 64)


def test_delete_removes_the_image_and_only_gallery_images(gallery: Gallery, tmp_path: Path) -> None:
    path = gallery.save(_picture(), SETTINGS, "m")
    thumb = gallery.thumbnail(path)
    gallery.delete(path)
    assert not path.exists() and not thumb.exists() and gallery.items() == []
    outside = tmp_path / "mine.png"
    _picture().save(outside)
    with pytest.raises(ImageFileError, match="not in the gallery"):
        gallery.delete(outside)
    assert outside.exists()


def test_save_as_copies_the_chunks_and_adds_png(gallery: Gallery, tmp_path: Path) -> None:
    path = gallery.save(_picture(), SETTINGS, "m")
    copy = gallery.save_as(path, tmp_path / "out" / "holiday")
    assert copy == tmp_path / "out" / "holiday.png" and copy.read_bytes() == path.read_bytes()


def test_import_keeps_a_png_as_it_is_and_converts_others_with_their_settings(gallery: Gallery,
                                                                             tmp_path: Path) -> None:
    made_elsewhere = tmp_path / "from a1111.png"
    from engines.imagegen.gallery import png_bytes

    made_elsewhere.write_bytes(png_bytes(_picture(), SETTINGS, "sd15"))
    imported = gallery.import_image(made_elsewhere)
    assert imported.parent == gallery.folder and imported.read_bytes() == made_elsewhere.read_bytes()
    assert gallery.import_image(imported) == imported  # already there: not copied again

    exif = Image.Exif()
    text = "fox\nSteps: 9, Sampler: Heun, CFG scale: 3, Seed: 11, Size: 8x8"
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-be")
    jpeg = tmp_path / "fox.jpg"
    _picture(size=(8, 8)).save(jpeg, exif=exif)
    converted = gallery.import_image(jpeg)
    assert converted.name == "fox.png" and is_png(converted)
    parsed = read_parameters(converted)
    assert parsed is not None and (parsed.settings.prompt, parsed.settings.seed) == ("fox", 11)


def _noise_png() -> bytes:
    from engines.imagegen.gallery import png_bytes

    return png_bytes(Image.frombytes("RGB", (32, 32), random.Random(1).randbytes(32 * 32 * 3)))


@pytest.mark.parametrize(("content", "reason"), [
    (png_header_only(100_000, 100_000), "decompression bomb"),
    (_noise_png()[:300], "truncated"),
    (b"", "empty"),
    (b"hello", "not an image"),
])
def test_import_refuses_broken_images_and_bombs(gallery: Gallery, tmp_path: Path, content: bytes,
                                                reason: str) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(ImageFileError, match=reason):
        gallery.import_image(bad)
    assert gallery.items() == []
