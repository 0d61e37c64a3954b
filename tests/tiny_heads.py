"""Tiny random BERT / DistilBERT / XLM-R models with task heads, exported to ONNX with optimum.

Only tests and benchmarks import this (torch, transformers, optimum). Head weights are scaled up so
labels and answer spans are decided by clear margins, not by float noise between PyTorch and ONNX
Runtime. A head's label set lives in config.json only, so variants (multi-label, NLI label orders)
are copies of one export with another config.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiny_encoders import _bert_tokenizer, _xlmr_tokenizer, cached_build, hub_offline

MAX_LENGTH = 64  # the tokenizers' model_max_length: long texts need windows after a few sentences
TASKS = {"sequence": "text-classification", "token": "token-classification", "qa": "question-answering"}
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
SEQUENCE_LABELS = ["negative", "neutral", "positive"]


def _tokenizer(kind: str, work: Path) -> Any:
    if kind == "distilbert":
        from transformers import DistilBertTokenizerFast

        _bert_tokenizer(work)  # writes vocab.txt
        tokenizer = DistilBertTokenizerFast(vocab_file=str(work / "vocab.txt"), do_lower_case=True)
    else:
        tokenizer = _bert_tokenizer(work) if kind == "bert" else _xlmr_tokenizer(work)
    tokenizer.model_max_length = MAX_LENGTH
    return tokenizer


def _model(kind: str, head: str, vocab: int, labels: list[str], pad: int, *, hidden: int = 32, layers: int = 2,
           heads: int = 4) -> Any:
    import transformers as tf

    names = {"bert": "Bert", "distilbert": "DistilBert", "xlmr": "XLMRoberta"}[kind]
    suffix = {"sequence": "ForSequenceClassification", "token": "ForTokenClassification",
              "qa": "ForQuestionAnswering"}[head]
    label_args: dict[str, Any] = {} if head == "qa" else {
        "id2label": dict(enumerate(labels)), "label2id": {v: i for i, v in enumerate(labels)}}
    if kind == "distilbert":
        config: Any = tf.DistilBertConfig(vocab_size=vocab, dim=hidden, n_layers=layers, n_heads=heads,
                                          hidden_dim=hidden * 4, max_position_embeddings=512, **label_args)
    else:
        shape: dict[str, Any] = {"vocab_size": vocab, "hidden_size": hidden, "num_hidden_layers": layers,
                                 "num_attention_heads": heads, "intermediate_size": hidden * 4}
        config = (tf.BertConfig(max_position_embeddings=512, **shape, **label_args) if kind == "bert" else
                  tf.XLMRobertaConfig(max_position_embeddings=514, pad_token_id=pad, bos_token_id=0, eos_token_id=2,
                                      **shape, **label_args))
    return getattr(tf, f"{names}{suffix}")(config)


def build_head(root: Path, kind: str, head: str, labels: list[str] | None = None, *, seed: int = 0,
               hidden: int = 32, layers: int = 2, heads: int = 4, tokenizer_from: Path | None = None) -> Path:
    """An exported folder (model.onnx, config.json, tokenizer.json, the PyTorch weights) for `kind` x `head`."""
    import torch
    from optimum.exporters.onnx import main_export

    torch.manual_seed(seed)
    folder = root / f"{kind}-{head}"
    folder.mkdir(parents=True, exist_ok=True)
    if tokenizer_from is not None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_from))
    else:
        tokenizer = _tokenizer(kind, folder)
    labels = labels or (NER_LABELS if head == "token" else SEQUENCE_LABELS)
    model = _model(kind, head, len(tokenizer), labels, tokenizer.pad_token_id or 0, hidden=hidden, layers=layers,
                   heads=heads)
    with torch.no_grad():  # clear margins between labels and between answer spans
        for name, parameter in model.named_parameters():
            if name.startswith(("classifier", "qa_outputs")) and name.endswith("weight"):
                parameter.mul_(40.0)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    main_export(str(folder), output=str(folder), task=TASKS[head], do_validation=False, library_name="transformers")
    return folder


def variant(folder: Path, name: str, **config: Any) -> Path:
    """A copy of `folder` whose config.json has `config`'s keys changed (labels, problem_type)."""
    copy = folder.parent / name
    if not copy.exists():
        shutil.copytree(folder, copy)
        path = copy / "config.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data.update(config)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return copy


def cached(base: Path, key: str, build: Callable[[Path], Path]) -> Path:
    """`build(root)` once per test session (fixtures in several modules share pytest's base temp dir)."""
    return cached_build(base / "analysis-cache" / key, build)


def labels_config(labels: list[str], **extra: Any) -> dict[str, Any]:
    return {"id2label": {str(i): v for i, v in enumerate(labels)}, "label2id": {v: i for i, v in enumerate(labels)},
            **extra}


def reference_pipeline(task: str, folder: Path, **kwargs: Any) -> Any:
    """transformers' own pipeline on the same weights (PyTorch, CPU)."""
    from transformers import pipeline

    with hub_offline():
        return pipeline(task, model=str(folder), tokenizer=str(folder), device="cpu", **kwargs)
