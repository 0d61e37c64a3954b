"""Build tiny random seq2seq translation models and export them with optimum, as tests need them.

Only tests and benchmarks import this (it needs torch, transformers and optimum). Each builder writes a
transformers checkpoint (safetensors) with its tokenizer and then an ONNX folder made by optimum's
`main_export`, the same layout Candeia downloads.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

CORPUS = (
    "The quick brown fox jumps over the lazy dog. A small model translates short sentences. "
    "Hello world, this is a test of the translation engine. Good morning and good night. "
    "Where is the station? The weather is nice today. I would like a cup of coffee, please. "
    "Numbers like 12 and 345 appear too. Ships sail over the sea while birds fly over land. "
    "Olá mundo, isto é um teste. Bom dia e boa noite. Onde fica a estação? O tempo está bom hoje. "
    "Hallo Welt, das ist ein Test. Guten Morgen und gute Nacht. Wo ist der Bahnhof? "
    "Bonjour le monde, ceci est un test. Où est la gare? Il fait beau aujourd'hui."
).split(". ")


def _train_spm(path: Path, vocab_size: int, **extra: Any) -> None:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        minloglevel=2,
        **extra,
    )
    path.write_bytes(model.getvalue())


def _export(checkpoint: Path, out: Path) -> Path:
    from optimum.exporters.onnx import main_export

    main_export(
        str(checkpoint),
        output=str(out),
        task="text2text-generation-with-past",
        do_validation=False,
        library_name="transformers",
    )
    return out


def build_marian(root: Path, *, d_model: int = 32, layers: int = 2, vocab_size: int | None = None, seed: int = 0,
                 heads: int = 4, ffn_dim: int | None = None, max_positions: int = 128,
                 eos_bias: float = 1.0, init_std: float = 0.25,
                 generation: dict[str, Any] | None = None, export: bool = True,
                 shared_spm: bool = False) -> tuple[Path, Path]:
    """A tiny MarianMT (en->de) with its own sentencepiece vocabularies. Returns (checkpoint, onnx folder).

    `shared_spm`: the target side uses the source's SentencePiece model (as joint-vocabulary models do)."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    ckpt = root / "marian-ckpt"
    ckpt.mkdir(parents=True, exist_ok=True)
    work = root / "marian-spm"
    work.mkdir(exist_ok=True)
    _train_spm(work / "source.spm", 120)
    if shared_spm:
        (work / "target.spm").write_bytes((work / "source.spm").read_bytes())
    else:
        _train_spm(work / "target.spm", 110)
    import sentencepiece as spm

    pieces: list[str] = []
    for name in ("source.spm", "target.spm"):
        proc = spm.SentencePieceProcessor(model_file=str(work / name))
        pieces += [proc.id_to_piece(i) for i in range(proc.get_piece_size())]
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        if piece not in vocab and piece not in ("<s>", "<pad>"):
            vocab[piece] = len(vocab)
    while vocab_size is not None and len(vocab) < vocab_size - 1:
        vocab[f"▁extra{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(work / "source.spm"), str(work / "target.spm"), str(work / "vocab.json"),
        source_lang="en", target_lang="de",
    )
    pad = vocab["<pad>"]
    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=len(vocab), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn_dim or 2 * d_model,
        decoder_ffn_dim=ffn_dim or 2 * d_model, max_position_embeddings=max_positions, pad_token_id=pad,
        decoder_start_token_id=pad, eos_token_id=0, forced_eos_token_id=0, scale_embedding=True,
        activation_function="swish", share_encoder_decoder_embeddings=True, init_std=init_std,
    )
    model = MarianMTModel(config).eval()
    with torch.no_grad():  # make end-of-sentence likely enough that outputs end at different lengths
        model.final_logits_bias[0, 0] = eos_bias
    gen = {"bad_words_ids": [[pad]], "bos_token_id": 0, "decoder_start_token_id": pad, "eos_token_id": 0,
           "forced_eos_token_id": 0, "max_length": 64, "num_beams": 4, "pad_token_id": pad}
    gen.update(generation or {})
    model.generation_config = GenerationConfig(**gen)
    model.save_pretrained(ckpt, safe_serialization=True)
    tokenizer.save_pretrained(ckpt)
    onnx_dir = root / "marian-onnx"
    if export:
        _export(ckpt, onnx_dir)
    return ckpt, onnx_dir


def marian_tokenizer_json(ckpt: Path, *, keep_charsmap: bool = False) -> dict[str, Any]:
    """The `tokenizer.json` Xenova's opus-mt exports ship in place of the `.spm` files.

    The same layout: `vocab.json`'s pieces in id order, each scored with the higher of its scores in the
    source and target SentencePiece models (-100 where neither has it, 0 for special tokens), Metaspace
    pre-tokenizer and decoder, and a Precompiled normalizer whose character map Xenova leaves empty
    (`keep_charsmap` fills it in from source.spm, as a converter that keeps it would).
    """
    import base64

    from sentencepiece import sentencepiece_model_pb2 as pb
    from transformers import MarianTokenizer

    tok = MarianTokenizer.from_pretrained(ckpt)
    vocab = json.loads((ckpt / "vocab.json").read_text(encoding="utf-8"))
    specials = list(tok.all_special_tokens)
    scores = [{tok.spm_source.IdToPiece(i): tok.spm_source.GetScore(i) for i in range(tok.spm_source.GetPieceSize())},
              {tok.spm_target.IdToPiece(i): tok.spm_target.GetScore(i) for i in range(tok.spm_target.GetPieceSize())}]
    proto = pb.ModelProto()
    proto.ParseFromString((ckpt / "source.spm").read_bytes())
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode() if keep_charsmap else None
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    eos = {"id": tok.eos_token, "ids": [tok.eos_token_id], "tokens": [tok.eos_token]}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab[t], "special": True, "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False} for t in specials],
        "normalizer": {"type": "Precompiled", "precompiled_charsmap": charsmap},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, metaspace]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": tok.eos_token, "type_id": 0}}],
                           "pair": [], "special_tokens": {tok.eos_token: eos}},
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": vocab[tok.unk_token],
                  "vocab": [[k, 0.0 if k in specials else max(scores[0].get(k, -100), scores[1].get(k, -100))]
                            for k in vocab]},
    }


def json_only_marian(onnx_dir: Path, ckpt: Path, dst: Path, *, keep_charsmap: bool = False) -> Path:
    """A copy of a Marian export laid out as Xenova's: tokenizer.json, no source.spm/target.spm/vocab.json."""
    import shutil

    shutil.copytree(onnx_dir, dst)
    for name in ("source.spm", "target.spm", "vocab.json"):
        (dst / name).unlink()
    data = marian_tokenizer_json(ckpt, keep_charsmap=keep_charsmap)
    (dst / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dst


def build_nllb(root: Path, *, d_model: int = 32, layers: int = 2, seed: int = 1, eos_scale: float = 1.5,
               init_std: float = 0.25,
               generation: dict[str, Any] | None = None, export: bool = True) -> tuple[Path, Path]:
    """A tiny NLLB-style M2M100 model with a fast tokenizer (tokenizer.json) and language-code tokens."""
    import torch
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration, NllbTokenizerFast
    from transformers.models.nllb.tokenization_nllb import NllbTokenizer

    ckpt = root / "nllb-ckpt"
    ckpt.mkdir(parents=True, exist_ok=True)
    work = root / "nllb-spm"
    work.mkdir(exist_ok=True)
    _train_spm(work / "sentencepiece.bpe.model", 130)
    slow = NllbTokenizer(str(work / "sentencepiece.bpe.model"), src_lang="eng_Latn", tgt_lang="por_Latn")
    fast = NllbTokenizerFast(__slow_tokenizer=slow, src_lang="eng_Latn", tgt_lang="por_Latn")
    fast.save_pretrained(ckpt)
    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=len(fast), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model, max_position_embeddings=128, pad_token_id=fast.pad_token_id,
        bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, scale_embedding=True,
        activation_function="relu", init_std=init_std,
    )
    model = M2M100ForConditionalGeneration(config).eval()
    with torch.no_grad():  # a larger end-of-sentence row makes outputs end at different lengths
        model.lm_head.weight[2] *= eos_scale
    gen = {"bos_token_id": 0, "decoder_start_token_id": 2, "eos_token_id": 2, "max_length": 64,
           "pad_token_id": fast.pad_token_id}
    gen.update(generation or {})
    model.generation_config = GenerationConfig(**gen)
    model.save_pretrained(ckpt, safe_serialization=True)
    onnx_dir = root / "nllb-onnx"
    if export:
        _export(ckpt, onnx_dir)
    return ckpt, onnx_dir


def build_m2m100(root: Path, *, d_model: int = 32, layers: int = 2, seed: int = 2, export: bool = True,
                 init_std: float = 0.25) -> tuple[Path, Path]:
    """A tiny M2M100 with the slow tokenizer's files (sentencepiece.bpe.model + vocab.json, __xx__ tokens)."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    ckpt = root / "m2m-ckpt"
    ckpt.mkdir(parents=True, exist_ok=True)
    work = root / "m2m-spm"
    work.mkdir(exist_ok=True)
    _train_spm(work / "sentencepiece.bpe.model", 120)
    proc = spm.SentencePieceProcessor(model_file=str(work / "sentencepiece.bpe.model"))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for i in range(proc.get_piece_size()):
        piece = proc.id_to_piece(i)
        if piece not in vocab and piece not in ("<unk>", "<s>", "</s>"):
            vocab[piece] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = M2M100Tokenizer(str(work / "vocab.json"), str(work / "sentencepiece.bpe.model"), src_lang="en",
                          tgt_lang="pt")
    tok.save_pretrained(ckpt)
    from transformers import AutoTokenizer

    reloaded = AutoTokenizer.from_pretrained(ckpt)  # language ids as the saved files give them
    top = max(reloaded.lang_token_to_id.values())
    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=top + 1 + 8, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model, max_position_embeddings=128, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, decoder_start_token_id=2, init_std=init_std,
    )
    model = M2M100ForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(bos_token_id=0, decoder_start_token_id=2, eos_token_id=2,
                                               max_length=64, pad_token_id=1)
    model.save_pretrained(ckpt, safe_serialization=True)
    onnx_dir = root / "m2m-onnx"
    if export:
        _export(ckpt, onnx_dir)
    return ckpt, onnx_dir


def cached(base: Path, name: str, build: Any) -> tuple[Path, Path]:
    """Build once per test session: fixtures in several modules share `base` (pytest's base temp dir)."""
    from filelock import FileLock

    root = base / "seq2seq-cache" / name
    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        done = root / ".done"
        if not done.exists():
            result: tuple[Path, Path] = build(root)
            done.write_text(json.dumps([str(p) for p in result]), encoding="utf-8")
        ckpt, onnx_dir = json.loads(done.read_text(encoding="utf-8"))
    return Path(ckpt), Path(onnx_dir)


def quantize_folder(src: Path, dst: Path) -> Path:
    """Copy an export and add int8 graphs as Candeia's converter makes them (MatMul only, subgraphs too)."""
    import shutil

    from onnxruntime.quantization import QuantType, quantize_dynamic

    shutil.copytree(src, dst)
    for stem in ("encoder_model", "decoder_model_merged"):
        quantize_dynamic(dst / f"{stem}.onnx", dst / f"{stem}_quantized.onnx", weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], extra_options={"EnableSubgraph": True})
    return dst
