"""An encoder model's ONNX graph and session: which file, which inputs it takes, one run per batch.

Shared with text analysis: `run()` returns every output by name, so a classification head's
`logits` or a QA head's `start_logits`/`end_logits` come out the same way as `last_hidden_state`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engines.encoders.tokenize import EncodedBatch
from engines.errors import InvalidModelFileError
from engines.onnx.providers import DeviceReport
from engines.onnx.session import make_session

Variant = Literal["auto", "full", "quantized"]
GRAPH_NAMES = ("model.onnx", "encoder_model.onnx")
QUANTIZED_NAMES = ("model_quantized.onnx", "model_int8.onnx", "model_qint8_avx512_vnni.onnx")


def find_graph(folder: Path, variant: Variant = "auto") -> Path:
    """The encoder graph in `folder` or `folder/onnx` (the hub's ONNX layout); a single-file path as is."""
    if folder.is_file():
        return folder
    full = [d / n for d in (folder, folder / "onnx") for n in GRAPH_NAMES]
    quant = [d / n for d in (folder, folder / "onnx") for n in QUANTIZED_NAMES]
    order = quant if variant == "quantized" else full if variant == "full" else full + quant
    for candidate in order:
        if candidate.is_file():
            return candidate
    raise InvalidModelFileError(folder, "holds no encoder graph (model.onnx or onnx/model.onnx)")


class EncoderSession:
    def __init__(self, folder: Path, threads: int | None = None, variant: Variant = "auto",
                 providers: list[str] | None = None) -> None:
        self.graph = find_graph(folder, variant)
        self.report = DeviceReport()
        # one run per batch with a new shape each time: memory patterns would only be rebuilt
        self._session: Any = make_session(self.graph, threads, providers, mem_pattern=False, report=self.report)
        self.input_names = [i.name for i in self._session.get_inputs()]
        self.output_names = [o.name for o in self._session.get_outputs()]
        known = {"input_ids", "attention_mask", "token_type_ids"}
        unknown = [n for n in self.input_names if n not in known]
        if "input_ids" not in self.input_names or unknown:
            raise InvalidModelFileError(self.graph, f"is not a text encoder (its inputs are {self.input_names})")

    def run(self, batch: EncodedBatch) -> dict[str, npt.NDArray[Any]]:
        feed: dict[str, npt.NDArray[np.int64]] = {"input_ids": batch.input_ids}
        if "attention_mask" in self.input_names:
            feed["attention_mask"] = batch.attention_mask
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = batch.token_type_ids
        outputs = self._session.run(None, feed)
        return dict(zip(self.output_names, outputs, strict=True))

    def token_states(self, batch: EncodedBatch) -> npt.NDArray[np.float32]:
        """The per-token hidden states: `last_hidden_state` (optimum's name), `token_embeddings`
        (a sentence-transformers export), else the first 3-D output."""
        outputs = self.run(batch)
        for name in ("last_hidden_state", "token_embeddings"):
            if name in outputs:
                return np.asarray(outputs[name], dtype=np.float32)
        for value in outputs.values():
            if np.ndim(value) == 3:
                return np.asarray(value, dtype=np.float32)
        raise InvalidModelFileError(self.graph, "has no per-token output to pool into sentence vectors")

    @property
    def device(self) -> str:
        return self.report.device

    def close(self) -> None:
        self._session = None
