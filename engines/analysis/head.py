"""An encoder with a task head: its tokenizer, its ONNX session and its labels (config.json).

Every ONNX analyzer (classification, zero-shot, entities, answers) runs through `HeadModel.run`:
windows are sorted by length and batched (padding to similar lengths wastes little compute), and
each window's outputs come back in the caller's order, cut to its own tokens when per token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from engines.encoders.session import EncoderSession, Variant, find_graph
from engines.encoders.tokenize import EncoderTokenizer
from engines.errors import InvalidModelFileError
from engines.jobs import CancelToken, ProgressCallback
from engines.onnx.folder import read_json

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float32]
T = TypeVar("T")
R = TypeVar("R")
DEFAULT_BATCH = 32
# items per length-sorted chunk, in batches: sorting over a few batches' worth pads far less than
# batch by batch in the caller's order, and progress still comes every few batches
CHUNK_BATCHES = 4


@dataclass(frozen=True)
class HeadConfig:
    """The head's labels and problem type, as transformers reads them from config.json."""

    id2label: dict[int, str]
    label2id: dict[str, int]
    problem_type: str | None
    num_labels: int


def read_head_config(folder: Path) -> HeadConfig:
    config = read_json(folder / "config.json", missing=None)
    raw = config.get("id2label")
    id2label = {int(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    raw2 = config.get("label2id")
    label2id = {str(k): int(v) for k, v in raw2.items()} if isinstance(raw2, dict) else {}
    if not label2id:
        label2id = {v: k for k, v in id2label.items()}
    problem = config.get("problem_type")
    count = len(id2label) or int(config.get("num_labels", 2))
    if not id2label:  # transformers' default names
        id2label = {i: f"LABEL_{i}" for i in range(count)}
    return HeadConfig(id2label, label2id, problem if isinstance(problem, str) else None, count)


def softmax(values: FloatArray) -> FloatArray:
    """Over the last axis, as the pipelines compute it (shifted by the max)."""
    shifted = np.exp(values - np.max(values, axis=-1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=-1, keepdims=True), dtype=np.float32)


def sigmoid(values: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-values)), dtype=np.float32)


class HeadModel:
    def __init__(self, folder: Path, outputs: Sequence[str], *, threads: int | None = None,
                 variant: Variant = "auto", max_length: int | None = None) -> None:
        self.folder = folder
        self.tokenizer = EncoderTokenizer(folder, max_length)
        self.session = EncoderSession(self._graph(folder, variant), threads, variant)
        missing = [name for name in outputs if name not in self.session.output_names]
        if missing:
            raise InvalidModelFileError(self.session.graph, f"has no {', '.join(missing)} output: it is not a model "
                                        f"for this task (its outputs are {self.session.output_names})")
        self.config = read_head_config(folder)

    @staticmethod
    def _graph(folder: Path, variant: Variant) -> Path:
        """`quantized` on a folder without an int8 graph: one derived in the cache (int8.py); fp32 when
        that fails (logged)."""
        if variant != "quantized":
            return folder
        from engines.analysis.int8 import int8_graph

        graph = int8_graph(folder)
        if graph is None:
            log.warning("no int8 graph could be made for %s; running the fp32 one", folder)
        return graph or find_graph(folder, "full")

    def run(self, encodings: Sequence[Any], *, per_token: bool, batch_size: int = DEFAULT_BATCH,
            cancel: CancelToken | None = None) -> list[dict[str, FloatArray]]:
        """Each encoding's outputs (one row of every output; per token: cut to its tokens)."""
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out: list[dict[str, FloatArray]] = [{} for _ in encodings]
        for start in range(0, len(order), max(1, batch_size)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            rows = order[start:start + batch_size]
            outputs = self.session.run(self.tokenizer.pad([encodings[i] for i in rows]))
            for k, row in enumerate(rows):
                n = len(encodings[row].ids)
                out[row] = {name: np.asarray(value[k, :n] if per_token else value[k], dtype=np.float32)
                            for name, value in outputs.items()}
        return out

    def close(self) -> None:
        self.session.close()


class HeadAnalyzer:
    """What the ONNX analyzers share: a name, a batch size, a head whose graph has `OUTPUTS`."""

    OUTPUTS: tuple[str, ...] = ("logits",)

    def __init__(self, folder: Path, *, name: str | None = None, threads: int | None = None,
                 variant: Variant = "auto", batch_size: int = DEFAULT_BATCH) -> None:
        self.name = name or folder.name
        self.batch_size = batch_size
        self.model = HeadModel(folder, self.OUTPUTS, threads=threads, variant=variant)

    def close(self) -> None:
        self.model.close()


def in_chunks(items: Sequence[T], work: Callable[[Sequence[T]], list[R]], *, batch_size: int = DEFAULT_BATCH,
              cancel: CancelToken | None = None, progress: ProgressCallback | None = None) -> list[R]:
    """`work` over `items` a chunk (CHUNK_BATCHES batches) at a time, with a cancel check and a progress
    report after each."""
    results: list[R] = []
    for part in _parts(items, batch_size * CHUNK_BATCHES):
        if cancel is not None:
            cancel.raise_if_cancelled()
        results.extend(work(part))
        if progress is not None:
            progress(len(results), len(items))
    return results


def _parts(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]
