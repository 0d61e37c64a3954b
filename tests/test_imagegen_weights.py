"""Image model files are validated before stable-diffusion.cpp sees them: family by shapes, damage refused."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from engines.errors import InvalidModelFileError
from engines.imagegen.weights import read_image_model
from tiny_gguf import write_tiny_llama

UNET_ATTN = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
UNET_ATTN_XL = "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"
VAE = "first_stage_model.decoder.conv_in.weight"
TEXT = "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"


def write_safetensors(path: Path, tensors: dict[str, tuple[int, ...]], *, cut: int = 0) -> Path:
    """F16 tensors of zeros with these shapes; `cut` bytes are left off the end (a truncated download)."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors.items():
        size = 2
        for d in shape:
            size *= d
        header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    data = struct.pack("<Q", len(raw)) + raw + bytes(offset)
    path.write_bytes(data[:len(data) - cut] if cut else data)
    return path


def checkpoint(width: int, *, xl: bool = False, vae: bool = True) -> dict[str, tuple[int, ...]]:
    tensors: dict[str, tuple[int, ...]] = {UNET_ATTN: (320, 768 if xl else width), TEXT: (16, 8)}
    if xl:
        tensors[UNET_ATTN_XL] = (640, 2048)
    if vae:
        tensors[VAE] = (512, 4, 3, 3)
    return tensors


@pytest.mark.parametrize(("width", "xl", "family"), [(768, False, "sd1"), (1024, False, "sd2"), (0, True, "sdxl")])
def test_the_family_comes_from_the_cross_attention_width(tmp_path: Path, width: int, xl: bool, family: str) -> None:
    path = write_safetensors(tmp_path / "model.safetensors", checkpoint(width, xl=xl))
    info = read_image_model(path)
    assert (info.family, info.format) == (family, "safetensors")
    assert info.weight_bytes == path.stat().st_size - 8 - struct.unpack("<Q", path.read_bytes()[:8])[0]


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    path = write_safetensors(tmp_path / "cut.safetensors", checkpoint(768), cut=100)
    with pytest.raises(InvalidModelFileError, match="truncated or damaged"):
        read_image_model(path)


@pytest.mark.parametrize("data", [b"", b"\x01\x02", struct.pack("<Q", 1 << 40) + b"{}",
                                  struct.pack("<Q", 6) + b"not js", b"\x00" * 64])
def test_garbage_is_refused_in_one_sentence(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.safetensors"
    path.write_bytes(data)
    with pytest.raises(InvalidModelFileError) as caught:
        read_image_model(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_model_of_another_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFileError, match="not a Stable Diffusion model"):
        read_image_model(write_safetensors(tmp_path / "bert.safetensors", {"encoder.layer.0.weight": (8, 8)}))
    with pytest.raises(InvalidModelFileError, match="unknown kind"):
        read_image_model(write_safetensors(tmp_path / "odd.safetensors", checkpoint(512)))
    with pytest.raises(InvalidModelFileError, match="no VAE"):
        read_image_model(write_safetensors(tmp_path / "novae.safetensors", checkpoint(768, vae=False)))


def test_a_chat_gguf_is_refused_as_a_language_model(tmp_path: Path) -> None:
    path = tmp_path / "chat.gguf"
    write_tiny_llama(path)
    with pytest.raises(InvalidModelFileError, match="language model, not an image generation model"):
        read_image_model(path)


def test_a_diffusers_folder_needs_its_three_parts(tmp_path: Path) -> None:
    folder = tmp_path / "pipe"
    for part in ("unet", "vae"):
        (folder / part).mkdir(parents=True)
    write_safetensors(folder / "unet" / "diffusion_pytorch_model.safetensors",
                      {"down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight": (320, 1024)})
    write_safetensors(folder / "vae" / "diffusion_pytorch_model.safetensors",
                      {"decoder.conv_in.weight": (512, 4, 3, 3)})
    with pytest.raises(InvalidModelFileError, match=r"text_encoder/model\.safetensors is missing"):
        read_image_model(folder)
    (folder / "text_encoder").mkdir()
    write_safetensors(folder / "text_encoder" / "model.safetensors", {"text_model.final_layer_norm.weight": (1024,)})
    assert read_image_model(folder).family == "sd2"
