"""A Stable Diffusion model with random weights at a real architecture, for tests and benchmarks.

stable-diffusion.cpp fixes the network's widths per family (SD 1.x: 320-channel UNet, CLIP ViT-L/14,
the 4-channel KL VAE), so there is no tiny model it can load: these are the real shapes with random
weights, built with diffusers (dev extra) and saved as a diffusers folder in f16 (about 2 GB for SD 1.5),
which stable-diffusion.cpp loads as it is. Speed and memory do not depend on the weights' values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SD15_UNET: dict[str, Any] = {
    "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768, "attention_head_dim": 8,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}
# SD-Turbo / SD 2.1: OpenCLIP ViT-H text encoder (1024 wide, 23 layers as SD 2.x uses it), linear projections
SD21_UNET: dict[str, Any] = dict(SD15_UNET, sample_size=96, cross_attention_dim=1024,
                                 attention_head_dim=[5, 10, 20, 20], use_linear_projection=True)
SD_VAE: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "sample_size": 512,
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
}
CLIP_L: dict[str, Any] = {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                          "num_attention_heads": 12, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
                          "projection_dim": 768}
CLIP_H: dict[str, Any] = {"vocab_size": 49408, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23,
                          "num_attention_heads": 16, "max_position_embeddings": 77, "hidden_act": "gelu",
                          "projection_dim": 1024}
FAMILIES = {"sd1": (SD15_UNET, CLIP_L), "sd2": (SD21_UNET, CLIP_H)}


def build_random_sd(folder: Path, family: str = "sd1", seed: int = 0) -> Path:
    """A diffusers folder (unet/, vae/, text_encoder/, model_index.json) with random f16 weights."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    unet_config, clip_config = FAMILIES[family]
    torch.manual_seed(seed)
    with torch.no_grad():
        parts = {
            "unet": UNet2DConditionModel(**unet_config),
            "vae": AutoencoderKL(**SD_VAE),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**clip_config)),
        }
        for name, model in parts.items():
            _tame(model)
            model.to(torch.float16).save_pretrained(folder / name, safe_serialization=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}), encoding="utf-8")
    return folder


def _tame(model: Any) -> None:
    """Scale random weights down so 50-odd layers neither blow up nor overflow f16 (finite, varied pixels)."""
    import torch

    for name, param in model.named_parameters():
        if param.ndim >= 2:
            param.mul_(0.5)
        elif "norm" in name and name.endswith("weight"):
            param.fill_(1.0)
        else:
            param.zero_()
    del torch
