"""Tokenizing for encoder models (BERT, XLM-R, ...) from the folder's `tokenizer.json`, without transformers.

Shared with text analysis (classification, NER, question answering): `encode()` returns padded
`input_ids`/`attention_mask`/`token_type_ids` arrays ready for an ONNX session, plus the offsets of
each token in its text (NER and QA map tokens back to characters with them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engines.errors import InvalidModelFileError, UsageError
from engines.onnx.folder import read_json

IntArray = npt.NDArray[np.int64]
# the tokenizers library's names (transformers' TruncationStrategy values)
Truncation = Literal["longest_first", "only_first", "only_second"]
# BERT-class models have learned positions for 512 tokens; a longer config is rarely real
DEFAULT_MAX_LENGTH = 512


@dataclass(frozen=True)
class EncodedBatch:
    input_ids: IntArray  # (batch, length), padded with the tokenizer's pad id
    attention_mask: IntArray  # 1 for real tokens
    token_type_ids: IntArray  # zeros for single texts; 0/1 for text pairs
    offsets: list[list[tuple[int, int]]]  # per text, per token: (start, end) character offsets


class EncoderTokenizer:
    def __init__(self, folder: Path, max_length: int | None = None) -> None:
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        if not path.is_file():
            raise InvalidModelFileError(folder, "has no tokenizer.json (export the model with its tokenizer)")
        try:
            self._tok: Any = Tokenizer.from_file(str(path))
        except Exception as exc:  # the Rust library raises its own Exception subclass
            raise InvalidModelFileError(path, f"is not a tokenizer file the tokenizers library can read ({exc})") \
                from None
        self.max_length = max_length or model_max_length(folder)
        self.pad_id = self._pad_id(folder)
        self._tok.no_padding()
        self._tok.enable_truncation(self.max_length)

    def _pad_id(self, folder: Path) -> int:
        config = read_json(folder / "config.json", missing=None)
        pad = config.get("pad_token_id")
        if isinstance(pad, int):
            return pad
        for token in ("[PAD]", "<pad>"):
            found = self._tok.token_to_id(token)
            if found is not None:
                return int(found)
        return 0

    def encode(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> EncodedBatch:
        """Tokenize texts (or text pairs, as a cross-encoder or a QA model takes them), truncated to
        max_length and padded to the longest in the batch."""
        return self.pad([w[0] for w in self.windows(texts, pairs)])

    def windows(self, texts: Sequence[str], pairs: Sequence[str] | None = None, *, max_length: int | None = None,
                strategy: Truncation = "longest_first", stride: int = 0) -> list[list[Any]]:
        """Per input, its `tokenizers.Encoding`s: the first is the input truncated to max_length; the others
        (transformers' return_overflowing_tokens) cover the rest, each overlapping the one before by
        `stride` tokens. Offsets of every window are character offsets into the input itself."""
        inputs: list[Any] = list(zip(texts, pairs, strict=True)) if pairs is not None else list(texts)
        limit = max_length or self.max_length
        self._tok.enable_truncation(limit, stride=stride, strategy=strategy)
        try:
            encodings = self._tok.encode_batch(inputs, add_special_tokens=True)
        except Exception as exc:  # the Rust library's error: a part that may not be cut is too long alone
            raise UsageError(f"the text does not fit the model's {limit} tokens with its question or label "
                             f"({exc})") from None
        finally:
            self._tok.enable_truncation(self.max_length)
        return [[e, *e.overflowing] for e in encodings]

    def pad(self, encodings: Sequence[Any]) -> EncodedBatch:
        """Arrays for a session, padded to the longest of `encodings` (tokenizers.Encoding objects)."""
        length = max((len(e.ids) for e in encodings), default=1) or 1
        count = len(encodings)
        ids = np.full((count, length), self.pad_id, dtype=np.int64)
        mask = np.zeros((count, length), dtype=np.int64)
        types = np.zeros((count, length), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        return EncodedBatch(ids, mask, types, [list(e.offsets) for e in encodings])

    def id_to_token(self, token_id: int) -> str:
        return str(self._tok.id_to_token(token_id) or "")

    def tokens_to_string(self, tokens: Sequence[str]) -> str:
        """Sub-word tokens back to text, as transformers' convert_tokens_to_string (the decoder's join)."""
        decoder = self._tok.decoder
        return str(decoder.decode(list(tokens))) if decoder is not None else " ".join(tokens)

    @property
    def subword_prefix(self) -> str | None:
        """WordPiece's "##": with it, a token is a word's continuation when its text differs from its slice."""
        prefix = getattr(self._tok.model, "continuing_subword_prefix", None)
        return prefix if isinstance(prefix, str) and prefix else None

    @property
    def unk_id(self) -> int | None:
        name = getattr(self._tok.model, "unk_token", None)
        for token in (name, "[UNK]", "<unk>"):
            found = self._tok.token_to_id(token) if isinstance(token, str) else None
            if found is not None:
                return int(found)
        return None

    def token_id(self, token: str) -> int | None:
        found = self._tok.token_to_id(token)
        return None if found is None else int(found)

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes without truncation (special tokens included)."""
        self._tok.no_truncation()
        try:
            return len(self._tok.encode(text).ids)
        finally:
            self._tok.enable_truncation(self.max_length)


def model_max_length(folder: Path) -> int:
    """The longest input the model takes: sentence-transformers' max_seq_length, else the tokenizer's
    model_max_length, else the positions in config.json (RoBERTa-style models reserve 2), capped at 512."""
    st = read_json(folder / "sentence_bert_config.json", missing=None).get("max_seq_length")
    if isinstance(st, int) and st > 0:
        return st
    tok = read_json(folder / "tokenizer_config.json", missing=None).get("model_max_length")
    if isinstance(tok, int) and 0 < tok <= 100_000:
        return min(tok, DEFAULT_MAX_LENGTH)
    config = read_json(folder / "config.json", missing=None)
    positions = config.get("max_position_embeddings")
    if isinstance(positions, int) and positions > 0:
        offset = 2 if config.get("model_type") in ("roberta", "xlm-roberta", "camembert") else 0
        return min(positions - offset, DEFAULT_MAX_LENGTH)
    return DEFAULT_MAX_LENGTH
