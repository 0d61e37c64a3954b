"""Build a tiny random ViT + GPT-2 captioner and export it to ONNX with optimum (tests only: needs torch).

The tokenizer is a byte-level BPE trained here on a few sentences and wrapped as GPT2TokenizerFast,
so nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SENTENCES = [
    "a cat sitting on a mat",
    "a dog running in the park",
    "two people riding bikes down a street",
    "a plate of food on a table",
    "a red bus parked next to a building",
]


def build_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2TokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(SENTENCES, trainer)
    return GPT2TokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>"
    )


def build_model(
    out: Path,
    *,
    image_size: int = 32,
    patch_size: int = 8,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    decoder_hidden: int = 32,
    decoder_layers: int = 2,
    decoder_heads: int = 4,
    vocab_size: int | None = None,
    n_positions: int = 64,
    seed: int = 0,
    eos_boost: float = 0.0,
    init_range: float = 0.02,
    resample: int = 2,
    generation: dict[str, Any] | None = None,
) -> Path:
    """Save a random VisionEncoderDecoderModel (safetensors), its image processor and tokenizer in `out`."""
    import torch
    from transformers import (
        GPT2Config,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    vocab = vocab_size or len(tokenizer)
    eos = tokenizer.eos_token_id
    enc = ViTConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                    intermediate_size=hidden * 4, image_size=image_size, patch_size=patch_size,
                    initializer_range=init_range)
    dec = GPT2Config(vocab_size=vocab, n_embd=decoder_hidden, n_layer=decoder_layers, n_head=decoder_heads,
                     n_positions=n_positions, add_cross_attention=True, bos_token_id=eos, eos_token_id=eos,
                     initializer_range=init_range)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    config.decoder_start_token_id = eos
    config.pad_token_id = eos
    config.eos_token_id = eos
    torch.manual_seed(seed)
    model = VisionEncoderDecoderModel(config).eval()
    if eos_boost:
        with torch.no_grad():  # make the end token likelier so some captions end early
            model.decoder.lm_head.weight[eos] *= eos_boost
            model.decoder.lm_head.weight[eos] += eos_boost * init_range
    for key, value in (generation or {}).items():
        setattr(model.generation_config, key, value)
    model.save_pretrained(out, safe_serialization=True)
    ViTImageProcessor(size={"height": image_size, "width": image_size}, resample=resample).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def export_onnx(model_dir: Path, out: Path, *, merged: bool = True) -> Path:
    """optimum's 'image-to-text-with-past' export; without `merged`, only decoder + decoder-with-past remain."""
    from optimum.exporters.onnx import main_export

    main_export(str(model_dir), output=str(out), task="image-to-text-with-past", no_post_process=not merged)
    if merged:
        for name in ("decoder_model.onnx", "decoder_with_past_model.onnx"):
            (out / name).unlink(missing_ok=True)
    return out


def random_images(count: int, seed: int = 0) -> list[Any]:
    """RGB images of slightly different sizes, so preprocessing resizes each differently."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (40 + 3 * i, 50, 3), dtype=np.uint8)) for i in range(count)]


def load_reference(root: Path) -> Any:
    """The transformers model the ONNX export was made from, for token-for-token comparisons."""
    from transformers import VisionEncoderDecoderModel

    return VisionEncoderDecoderModel.from_pretrained(root / "hf").eval()
