"""Image loading (every format and mode, EXIF, broken files) and pixel values against transformers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from image_files import png_header_only
from PIL import Image

from engines.caption.preprocess import ImagePreprocessor
from engines.images.decode import ImageFileError, find_images, load_image, to_rgb

RNG = np.random.default_rng(7)


def _rgb(h: int = 30, w: int = 40) -> Image.Image:
    return Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("images")
    out: dict[str, Path] = {}

    def save(name: str, image: Image.Image, **kw: object) -> None:
        out[name] = d / name
        image.save(out[name], **kw)

    base = _rgb()
    save("rgb.png", base)
    rgba = Image.new("RGBA", (20, 10), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 255, 0))  # fully transparent blue -> white
    rgba.putpixel((1, 0), (0, 0, 0, 128))  # half transparent black -> mid grey
    save("rgba.png", rgba)
    pal = Image.new("P", (8, 8), 1)
    pal.putpalette([0, 0, 0, 0, 255, 0] + [0, 0, 0] * 254)
    pal.putpixel((0, 0), 0)
    save("palette_transparent.png", pal, transparency=0)
    save("palette.gif", pal.copy())
    save("grey.png", Image.new("L", (9, 7), 77))
    save("grey_alpha.png", Image.new("LA", (9, 7), (200, 0)))
    save("grey16.png", Image.fromarray(np.full((6, 5), 65535, dtype=np.uint16)))
    save("bilevel.png", Image.new("1", (12, 12), 1))
    save("rgb.jpg", base, quality=95)
    save("grey.jpg", Image.new("L", (16, 16), 100))
    save("cmyk.jpg", Image.new("CMYK", (16, 16), (0, 255, 255, 0)), quality=100)  # red
    save("cmyk.tif", Image.new("CMYK", (16, 16), (255, 0, 255, 0)))  # green
    save("rgb.tif", base)
    save("rgb.bmp", base)
    save("rgba.webp", rgba, lossless=True)
    frames = [Image.new("RGB", (10, 10), (0, 0, 255)), Image.new("RGB", (10, 10), (255, 255, 0))]
    out["anim.gif"] = d / "anim.gif"
    frames[0].save(out["anim.gif"], save_all=True, append_images=frames[1:], duration=50, loop=0)
    rotated = Image.new("RGB", (40, 20), (10, 20, 30))
    exif = rotated.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    save("exif_rotated.jpg", rotated, exif=exif.tobytes())
    # broken files
    (d / "empty.png").write_bytes(b"")
    out["empty.png"] = d / "empty.png"
    (d / "text.jpg").write_text("this is not an image", encoding="utf-8")
    out["text.jpg"] = d / "text.jpg"
    buf = io.BytesIO()
    _rgb(200, 200).save(buf, format="JPEG")
    (d / "truncated.jpg").write_bytes(buf.getvalue()[:600])
    out["truncated.jpg"] = d / "truncated.jpg"
    buf = io.BytesIO()
    _rgb(200, 200).save(buf, format="PNG")
    (d / "truncated.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    out["truncated.png"] = d / "truncated.png"
    (d / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    out["bomb.png"] = d / "bomb.png"
    (d / "fake.psd").write_bytes(b"8BPS" + b"\x00" * 40)
    out["fake.psd"] = d / "fake.psd"
    return out


GOOD = ["rgb.png", "rgba.png", "palette_transparent.png", "palette.gif", "grey.png", "grey_alpha.png",
        "grey16.png", "bilevel.png", "rgb.jpg", "grey.jpg", "cmyk.jpg", "cmyk.tif", "rgb.tif", "rgb.bmp",
        "rgba.webp", "anim.gif", "exif_rotated.jpg"]


@pytest.mark.parametrize("name", GOOD)
def test_every_supported_file_loads_as_rgb(images: dict[str, Path], name: str) -> None:
    image = load_image(images[name])
    assert image.mode == "RGB"
    with Image.open(images[name]) as raw:
        w, h = raw.size
    assert image.size == ((h, w) if name == "exif_rotated.jpg" else (w, h))


def test_modes_convert_to_the_right_colours(images: dict[str, Path]) -> None:
    rgba = np.asarray(load_image(images["rgba.png"]))
    assert tuple(rgba[0, 0]) == (255, 255, 255)  # transparent -> white background
    assert abs(int(rgba[0, 1, 0]) - 127) <= 1  # half-transparent black over white
    assert tuple(rgba[5, 5]) == (255, 0, 0)
    pal = np.asarray(load_image(images["palette_transparent.png"]))
    assert tuple(pal[0, 0]) == (255, 255, 255) and tuple(pal[1, 1]) == (0, 255, 0)
    assert tuple(np.asarray(load_image(images["grey.png"]))[0, 0]) == (77, 77, 77)
    assert tuple(np.asarray(load_image(images["grey_alpha.png"]))[0, 0]) == (255, 255, 255)
    assert tuple(np.asarray(load_image(images["grey16.png"]))[0, 0]) == (255, 255, 255)  # not clipped garbage
    assert tuple(np.asarray(load_image(images["bilevel.png"]))[3, 3]) == (255, 255, 255)
    red = np.asarray(load_image(images["cmyk.jpg"])).astype(int)[8, 8]
    assert red[0] > 200 and red[1] < 60 and red[2] < 60
    green = np.asarray(load_image(images["cmyk.tif"])).astype(int)[8, 8]
    assert green[1] > 200 and green[0] < 60 and green[2] < 60
    webp = np.asarray(load_image(images["rgba.webp"]))
    assert tuple(webp[0, 0]) == (255, 255, 255)


def test_gif_uses_first_frame_and_exif_orientation_is_applied(images: dict[str, Path]) -> None:
    assert tuple(np.asarray(load_image(images["anim.gif"]))[5, 5]) == (0, 0, 255)
    rotated = load_image(images["exif_rotated.jpg"])
    assert rotated.size == (20, 40)


@pytest.mark.parametrize(("name", "words"), [
    ("empty.png", "empty"),
    ("text.jpg", "not an image"),
    ("truncated.jpg", "truncated"),
    ("truncated.png", "truncated"),
    ("bomb.png", "decompression bomb"),
    ("fake.psd", "not an image"),
])
def test_broken_files_give_one_clear_sentence(images: dict[str, Path], name: str, words: str) -> None:
    with pytest.raises(ImageFileError) as info:
        load_image(images[name])
    assert words in info.value.reason
    assert str(images[name]) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_pixel_limit(tmp_path: Path, images: dict[str, Path]) -> None:
    with pytest.raises(ImageFileError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageFileError, match="pixel limit"):
        load_image(images["rgb.png"], max_pixels=100)


def test_find_images_walks_folders_in_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ("b.png", "a.JPG", "notes.txt", "sub/c.webp", ".hidden/d.png", ".e.png"):
        (tmp_path / rel).write_bytes(b"x")
    flat = [p.relative_to(tmp_path).as_posix() for p in find_images([tmp_path])]
    assert flat == ["a.JPG", "b.png"]
    deep = [p.relative_to(tmp_path).as_posix() for p in find_images([tmp_path], recursive=True)]
    assert deep == ["a.JPG", "b.png", "sub/c.webp"]
    assert list(find_images([tmp_path / "notes.txt"])) == [tmp_path / "notes.txt"]  # named files kept


@pytest.mark.parametrize("resample", [0, 1, 2, 3])
def test_pixel_values_equal_vit_image_processor(images: dict[str, Path], resample: int) -> None:
    from transformers import ViTImageProcessor

    reference = ViTImageProcessor(size={"height": 24, "width": 20}, resample=resample,
                                  image_mean=[0.48, 0.45, 0.4], image_std=[0.27, 0.26, 0.28])
    ours = ImagePreprocessor.from_dict(reference.to_dict())
    batch = [load_image(images[n]) for n in ("rgb.png", "rgba.png", "cmyk.jpg", "exif_rotated.jpg", "grey16.png")]
    expected = reference(batch, return_tensors="np")["pixel_values"]
    got = ours(batch)
    assert got.dtype == np.float32 and got.shape == expected.shape == (5, 3, 24, 20)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_pixel_values_equal_clip_style_shortest_edge_and_crop(images: dict[str, Path]) -> None:
    from transformers import CLIPImageProcessor

    reference = CLIPImageProcessor(size={"shortest_edge": 18}, crop_size={"height": 16, "width": 14})
    ours = ImagePreprocessor.from_dict(reference.to_dict())
    batch = [load_image(images[n]) for n in ("rgb.png", "exif_rotated.jpg", "rgb.bmp")]
    expected = reference(batch, return_tensors="np")["pixel_values"]
    np.testing.assert_allclose(ours(batch), expected, rtol=0, atol=1e-6)


def test_to_rgb_handles_float_and_int32_greyscale() -> None:
    f = Image.fromarray(np.full((4, 4), 0.5, dtype=np.float32), mode="F")
    assert tuple(np.asarray(to_rgb(f))[0, 0]) == (128, 128, 128)
    i = Image.fromarray(np.full((4, 4), 1000, dtype=np.int32), mode="I")
    assert tuple(np.asarray(to_rgb(i))[0, 0]) == (4, 4, 4)
