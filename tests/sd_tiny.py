"""A tiny random-weight Stable Diffusion pipeline and its ONNX export, for the ONNX image engine's tests.

Tiny UNet, CLIP text model, VAE and a CLIP BPE tokenizer written here (a byte alphabet and a few
merges), saved as a diffusers folder, then exported by optimum's ONNX exporter (task text-to-image)
to the layout users' ONNX models have. Built with diffusers and torch (dev extra), never at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TINY_UNET: dict[str, Any] = {
    "sample_size": 8, "in_channels": 4, "out_channels": 4, "layers_per_block": 1,
    "block_out_channels": [32, 64], "cross_attention_dim": 32, "attention_head_dim": 4, "norm_num_groups": 8,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
}
TINY_VAE: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 1, "sample_size": 32,
    "block_out_channels": [8, 16, 16, 16], "norm_num_groups": 4,
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
}
SCHEDULER: dict[str, Any] = {
    "_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085,
    "beta_end": 0.012, "beta_schedule": "scaled_linear", "prediction_type": "epsilon",
    "timestep_spacing": "leading", "steps_offset": 1,
}
_WORDS = ("a", "lighthouse", "on", "cliff", "at", "dusk", "red", "cat", "blurry", "the")


def byte_alphabet() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 byte values, in CLIP's vocabulary order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    cs = bs[:]
    extra = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return [chr(c) for c in cs]


def write_clip_tokenizer(folder: Path) -> Path:
    """vocab.json + merges.txt of a small CLIP BPE: bytes, bytes + </w>, whole-word merges of _WORDS."""
    folder.mkdir(parents=True, exist_ok=True)
    alphabet = byte_alphabet()
    vocab = alphabet + [c + "</w>" for c in alphabet]
    merges: list[str] = []
    for word in _WORDS:
        current = word[0]
        for i, ch in enumerate(word[1:], start=1):
            piece = ch + "</w>" if i == len(word) - 1 else ch
            merges.append(f"{current} {piece}")
            current += piece
            if current not in vocab:
                vocab.append(current)
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(dict.fromkeys(merges)) + "\n", encoding="utf-8")
    specials = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
                "pad_token": "<|endoftext|>"}
    (folder / "special_tokens_map.json").write_text(json.dumps(specials), encoding="utf-8")
    config = dict(specials, model_max_length=77, tokenizer_class="CLIPTokenizer", do_lower_case=True)
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def build_tiny_sd(folder: Path, seed: int = 0) -> Path:
    """A diffusers StableDiffusionPipeline folder with tiny random fp32 parts."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(str(write_clip_tokenizer(folder / "_tokenizer_src")))
    torch.manual_seed(seed)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                                        projection_dim=32, bos_token_id=tokenizer.bos_token_id,
                                        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id))
    pipe = StableDiffusionPipeline(
        vae=AutoencoderKL(**TINY_VAE), text_encoder=text, tokenizer=tokenizer, unet=UNet2DConditionModel(**TINY_UNET),
        scheduler=EulerDiscreteScheduler.from_config(SCHEDULER), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipe.save_pretrained(folder / "diffusers", safe_serialization=True)
    return folder / "diffusers"


def export_onnx(diffusers_folder: Path, out: Path) -> Path:
    """optimum's ONNX export (fp32) of a diffusers folder: text_encoder/, unet/, vae_decoder/, vae_encoder/, ..."""
    from optimum.exporters.onnx import main_export

    main_export(str(diffusers_folder), output=str(out), task="text-to-image", library_name="diffusers",
                do_validation=False, device="cpu")
    return out
