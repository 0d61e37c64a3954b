"""The `parameters` PNG chunk: A1111's infotext written exactly, and read back from ours and others' images."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from engines.imagegen.png_params import (
    format_parameters,
    parse_comfy_prompt,
    parse_parameters,
    png_info,
    read_parameters,
    sampler_name,
    text_chunks,
)
from engines.imagegen.settings import ImageSettings


def _png(path: Path, **chunks: str) -> Path:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path, pnginfo=info)
    return path


def test_writes_a1111_infotext_exactly() -> None:
    s = ImageSettings(prompt="a castle on a hill", negative_prompt="blurry", width=512, height=768, steps=20,
                      guidance=7.5, sampler="euler_a", seed=42)
    assert format_parameters(s, "sd-1.5") == (
        "a castle on a hill\nNegative prompt: blurry\n"
        "Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x768, Model: sd-1.5")


def test_img2img_records_denoising_strength_and_no_empty_negative() -> None:
    s = ImageSettings(prompt="p", guidance=0.0, steps=1, seed=7, init_image=Path("in.png"), strength=0.5)
    assert format_parameters(s) == "p\nSteps: 1, Sampler: Euler a, CFG scale: 0, Seed: 7, Size: 512x512, " \
                                   "Denoising strength: 0.5"


def test_values_with_commas_or_colons_are_json_quoted() -> None:
    text = format_parameters(ImageSettings(prompt="x", seed=1), 'org/model: v2, "fp16"')
    assert 'Model: "org/model: v2, \\"fp16\\""' in text
    assert parse_parameters(text).model_id == 'org/model: v2, "fp16"'


def test_reads_a1111_output_with_extra_keys_and_no_negative() -> None:
    text = ("masterpiece, a cat\nwearing a hat\n"
            'Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 3210987654, '
            'Size: 640x448, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, '
            'Lora hashes: "add_detail: 7c6bad76eb54", Version: v1.9.4')
    parsed = parse_parameters(text)
    assert parsed.settings == ImageSettings(prompt="masterpiece, a cat\nwearing a hat", steps=28, sampler="dpm++2m",
                                            guidance=6.0, seed=3210987654, width=640, height=448)
    assert parsed.model_id == "v1-5-pruned-emaonly"
    assert parsed.extra["Schedule type"] == "Karras"
    assert parsed.extra["Lora hashes"] == "add_detail: 7c6bad76eb54"
    assert parsed.extra["Version"] == "v1.9.4"


def test_old_a1111_sampler_labels_and_prompt_only_text() -> None:
    assert sampler_name("DPM++ 2M Karras") == "dpm++2m"
    assert sampler_name("Euler a") == "euler_a"
    assert sampler_name("UniPC") == "UniPC"  # unknown: kept, so the user sees what it was
    only_prompt = parse_parameters("just a prompt, nothing else")
    assert only_prompt.settings.prompt == "just a prompt, nothing else"
    assert only_prompt.settings.steps == ImageSettings(prompt="").steps


def test_multiline_negative_prompt() -> None:
    text = "sky\nNegative prompt: ugly\nextra fingers\nSteps: 4, Sampler: Euler, CFG scale: 1, Seed: 5, Size: 64x64"
    parsed = parse_parameters(text).settings
    assert (parsed.prompt, parsed.negative_prompt, parsed.sampler, parsed.seed) == ("sky", "ugly\nextra fingers",
                                                                                   "euler", 5)


COMFY = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8.0,
                                               "sampler_name": "euler_ancestral", "scheduler": "normal",
                                               "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0],
                                               "negative": ["7", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"batch_size": 1, "height": 512, "width": 768}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "beautiful scenery, glass bottle"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "text": "text, watermark"}},
}


def test_reads_comfyui_prompt_chunk(tmp_path: Path) -> None:
    path = _png(tmp_path / "comfy.png", prompt=json.dumps(COMFY), workflow="{}")
    parsed = read_parameters(path)
    assert parsed is not None and parsed.source == "comfyui"
    assert parsed.settings == ImageSettings(prompt="beautiful scenery, glass bottle", negative_prompt="text, watermark",
                                            width=768, height=512, steps=20, guidance=8.0, sampler="euler_a",
                                            seed=156680208700286)
    assert parsed.model_id == "v1-5-pruned-emaonly.safetensors"
    assert parse_comfy_prompt("not json") is None
    assert parse_comfy_prompt(json.dumps({"1": {"class_type": "SaveImage", "inputs": {}}})) is None


def test_png_round_trip_and_images_without_settings(tmp_path: Path) -> None:
    s = ImageSettings(prompt="ação, café: ünïcode ✓", negative_prompt="x", seed=123456789, steps=3, guidance=1.5)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=png_info(s, "tiny"))
    (tmp_path / "ours.png").write_bytes(buffer.getvalue())
    parsed = read_parameters(tmp_path / "ours.png")
    assert parsed is not None and parsed.settings == s and parsed.model_id == "tiny"
    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    assert read_parameters(tmp_path / "plain.png") is None
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    assert read_parameters(tmp_path / "broken.png") is None
    assert text_chunks(tmp_path / "missing.png") == {}


def test_reads_infotext_from_jpeg_exif_user_comment(tmp_path: Path) -> None:
    text = "fox\nSteps: 9, Sampler: Heun, CFG scale: 3, Seed: 11, Size: 8x8"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-be")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", exif=exif)
    parsed = read_parameters(tmp_path / "a.jpg")
    assert parsed is not None and (parsed.settings.prompt, parsed.settings.seed, parsed.settings.sampler) == (
        "fox", 11, "heun")


# -- round trip (hypothesis) ---------------------------------------------------------------------------
_chars = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
# A1111 strips each prompt line, and a line starting "Negative prompt:" starts the negative prompt: such
# prompts cannot round-trip through any A1111 reader, so they are not generated.
_line = st.text(_chars, min_size=1, max_size=30).map(str.strip).filter(
    lambda s: bool(s) and not s.startswith("Negative prompt:"))
_prompt = st.lists(_line, max_size=3).map("\n".join)
_model = st.one_of(st.none(), st.text(_chars, min_size=1, max_size=40))
_settings = st.builds(
    ImageSettings, prompt=_prompt, negative_prompt=_prompt,
    width=st.integers(1, 4096), height=st.integers(1, 4096), steps=st.integers(1, 150),
    guidance=st.floats(0, 30, allow_nan=False), seed=st.integers(0, 2**63 - 1),
    sampler=st.sampled_from(["euler_a", "euler", "heun", "dpm2", "dpm++2s_a", "dpm++2m", "lcm", "ipndm", "tcd"]),
    init_image=st.one_of(st.none(), st.just(Path("init.png"))), strength=st.floats(0, 1, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(s=_settings, model=_model)
def test_round_trip(s: ImageSettings, model: str | None) -> None:
    parsed = parse_parameters(format_parameters(s, model))
    recorded = replace(s, init_image=None, strength=s.strength if s.init_image else ImageSettings(prompt="").strength)
    assert parsed.settings == recorded
    assert parsed.model_id == model
    assert parsed.extra == {}
