"""Cross-encoders (rerankers): a (query, passage) pair in, one relevance score out.

A BERT-class model with a sequence-classification head, exported by optimum (`logits` output):
one logit is the score (ms-marco MiniLM rerankers); with two, the score is the second one's
log-odds, as sentence-transformers' CrossEncoder does for a binary head.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engines.encoders.session import EncoderSession
from engines.encoders.tokenize import EncoderTokenizer
from engines.errors import InvalidModelFileError


class CrossEncoder:
    def __init__(self, folder: Path, *, threads: int | None = None, max_length: int | None = None) -> None:
        self.folder = folder
        self.tokenizer = EncoderTokenizer(folder, max_length)
        self.session = EncoderSession(folder, threads)
        if "logits" not in self.session.output_names:
            raise InvalidModelFileError(folder, "is not a cross-encoder (its graph has no 'logits' output)")

    def score(self, query: str, passages: Sequence[str], batch_size: int = 16) -> npt.NDArray[np.float32]:
        out = np.empty(len(passages), dtype=np.float32)
        for start in range(0, len(passages), batch_size):
            part = list(passages[start:start + batch_size])
            batch = self.tokenizer.encode([query] * len(part), pairs=part)
            logits = np.asarray(self.session.run(batch)["logits"], dtype=np.float32)
            if logits.ndim == 2 and logits.shape[1] == 2:
                out[start:start + len(part)] = logits[:, 1] - logits[:, 0]
            else:
                out[start:start + len(part)] = logits.reshape(len(part), -1)[:, 0]
        return out

    def close(self) -> None:
        self.session.close()
