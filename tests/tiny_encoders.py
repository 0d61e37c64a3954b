"""Build tiny random sentence-transformers models (BERT, XLM-R) and export them to ONNX with optimum.

Only tests and benchmarks import this (torch, transformers, sentence-transformers, optimum). The
folder is laid out like a real one after `optimum-cli export onnx` of a sentence-transformers
checkpoint: modules.json, 1_Pooling/config.json, tokenizer.json and model.onnx side by side.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tiny_seq2seq import CORPUS, _train_spm


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """sentence-transformers and transformers look a local folder up on the hub too (a model card, a
    README): offline mode makes them read the folder only. The constant is read at import, so set both."""
    import huggingface_hub.constants as constants
    import tqdm
    from huggingface_hub.utils import reset_sessions

    tqdm.tqdm.monitor_interval = 0  # no monitor thread left running after a progress bar

    saved = os.environ.get("HF_HUB_OFFLINE"), constants.HF_HUB_OFFLINE
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        if saved[0] is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved[0]
        constants.HF_HUB_OFFLINE = saved[1]
        # A hub session made while offline keeps its offline adapter (huggingface_hub caches
        # sessions), which would refuse every later download test's request: drop them.
        reset_sessions()


WORDS = sorted({w.strip(".,?!'").lower() for s in CORPUS for w in s.split()} - {""})


def _bert_tokenizer(work: Path) -> Any:
    from transformers import BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *"abcdefghijklmnopqrstuvwxyzãçéíóõú0123456789.,?!'"]
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyzãçéíóõú0123456789"]
    (work / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    return BertTokenizerFast(vocab_file=str(work / "vocab.txt"), do_lower_case=True)


def _xlmr_tokenizer(work: Path) -> Any:
    from transformers import XLMRobertaTokenizer, XLMRobertaTokenizerFast

    _train_spm(work / "sentencepiece.bpe.model", 120)
    slow = XLMRobertaTokenizer(vocab_file=str(work / "sentencepiece.bpe.model"))
    slow.save_pretrained(str(work / "slow"))
    return XLMRobertaTokenizerFast.from_pretrained(str(work / "slow"), from_slow=True)


def build_encoder(root: Path, kind: str = "bert", *, pooling: str = "mean", normalize: bool = True,
                  hidden: int = 32, layers: int = 2, seed: int = 0, export: bool = True) -> Path:
    """A sentence-transformers folder (+ model.onnx when `export`) for a random `kind` ("bert"/"xlmr")."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(seed)
    work = root / f"{kind}-work"
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = _bert_tokenizer(work) if kind == "bert" else _xlmr_tokenizer(work)
    shape: dict[str, Any] = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 4,
                             "intermediate_size": hidden * 2, "vocab_size": len(tokenizer)}
    if kind == "bert":
        model: Any = BertModel(BertConfig(max_position_embeddings=128, **shape))
    else:
        model = XLMRobertaModel(XLMRobertaConfig(max_position_embeddings=130, pad_token_id=tokenizer.pad_token_id,
                                                 bos_token_id=0, eos_token_id=2, **shape))
    ckpt = work / "ckpt"
    model.save_pretrained(str(ckpt))
    tokenizer.save_pretrained(str(ckpt))
    transformer = models.Transformer(str(ckpt), max_seq_length=64)
    modules: list[Any] = [transformer, models.Pooling(hidden, pooling_mode=pooling)]
    if normalize:
        modules.append(models.Normalize())
    folder = root / f"{kind}-{pooling}{'-norm' if normalize else ''}"
    SentenceTransformer(modules=modules, device="cpu").save(str(folder))
    if export:
        from optimum.exporters.onnx import main_export

        main_export(str(folder), output=str(folder), task="feature-extraction", do_validation=False,
                    library_name="transformers")
    return folder


def cached_encoder(base: Path, kind: str = "bert", pooling: str = "mean", normalize: bool = True) -> Path:
    """build_encoder once per test session (fixtures in several modules share pytest's base temp dir)."""
    return cached_build(base / "encoder-cache" / f"{kind}-{pooling}-{int(normalize)}",
                        lambda root: build_encoder(root, kind, pooling=pooling, normalize=normalize))


def cached_build(root: Path, build: Callable[[Path], Path]) -> Path:
    """`build(root)` once per test session, offline, under a file lock (pytest-xdist workers share it)."""
    from filelock import FileLock

    root.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        done = root / ".done"
        if not done.exists():
            root.mkdir(exist_ok=True)
            with hub_offline():
                folder = build(root)
            done.write_text(str(folder), encoding="utf-8")
        return Path(done.read_text(encoding="utf-8"))


def build_cross_encoder(root: Path, seed: int = 0) -> Path:
    """A random BERT with a one-logit classification head (an ms-marco-style reranker), exported to ONNX."""
    import torch
    from optimum.exporters.onnx import main_export
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    folder = root / "cross-encoder"
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _bert_tokenizer(folder)
    model = BertForSequenceClassification(BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, vocab_size=len(tokenizer),
        max_position_embeddings=128, num_labels=1))
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    main_export(str(folder), output=str(folder), task="text-classification", do_validation=False,
                library_name="transformers")
    return folder
