"""ONNX Runtime sessions of a translation model (Marian, M2M100, NLLB as optimum exports them).

One `OnnxSeq2Seq` holds the sessions (thread-safe, shared); each generation gets its own
`engines.seq2seq.binding.DecodeState`, so two translations may run on one model at once. The first
decoder step also returns the cross-attention keys/values, which every later step takes as inputs.

An fp32 model whose folder also holds an int8 merged decoder (as `models convert --int8` writes it,
and as many hub repositories ship it) loads that decoder as the draft of speculative greedy decoding
(engines/seq2seq/speculative.py): the same ids as plain fp32 greedy, fewer fp32 decoder runs. It pays
for small batches only (docs/performance.md); `draft=False` or CANDEIA_TRANSLATE_DRAFT=0 turns it off.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from engines.errors import InvalidModelFileError
from engines.onnx.folder import find_graphs
from engines.onnx.providers import DeviceReport
from engines.onnx.session import make_session
from engines.seq2seq.binding import DecodeState
from engines.seq2seq.graphs import DecoderGraphs, heads_and_dim, input_names, output_names, past_inputs
from engines.seq2seq.speculative import DraftStats
from engines.seq2seq.types import IntArray
from engines.translate.folder import QUANT_SUFFIXES, Seq2SeqFiles

DRAFT_ENV = "CANDEIA_TRANSLATE_DRAFT"
log = logging.getLogger(__name__)


class OnnxSeq2Seq:
    def __init__(self, files: Seq2SeqFiles, threads: int | None = None, providers: list[str] | None = None,
                 spin: bool | None = None, draft: bool | None = None) -> None:
        """`draft`: load the folder's int8 merged decoder as a speculative draft of an fp32 model;
        None: on unless CANDEIA_TRANSLATE_DRAFT=0."""
        self.files = files
        self.device_report = DeviceReport()  # the providers the sessions got, and any fallback

        # Three sessions take turns: each stops spinning when its run ends, or its idle workers would
        # take the cores from the next one (docs/captioning.md, "Idle threads between sessions").
        def session(path: Any) -> Any:
            return make_session(path, threads, providers, spin, stop_spinning=True, report=self.device_report)

        self.encoder = session(files.encoder)
        self.merged = files.decoder_merged is not None
        if files.decoder_merged is not None:
            self.first = self.rest = session(files.decoder_merged)
        else:
            assert files.decoder is not None and files.decoder_with_past is not None
            self.first = session(files.decoder)
            self.rest = session(files.decoder_with_past)
        self.graphs = self._check()
        if draft is None:
            draft = os.environ.get(DRAFT_ENV, "1") != "0"
        draft_file = _draft_file(files) if draft else None
        self.draft = session(draft_file) if draft_file is not None else None
        self.draft_stats = DraftStats()  # summed over generations; its `tokens` adapts to the hit rate
        self.encoder_output = ["last_hidden_state"] if "last_hidden_state" in output_names(self.encoder) else None

    def _check(self) -> DecoderGraphs:
        if not {"input_ids", "attention_mask"} <= input_names(self.encoder):
            raise InvalidModelFileError(self.files.encoder, "is not a seq2seq encoder (input_ids, attention_mask)")
        if not {"input_ids", "encoder_hidden_states"} <= input_names(self.first):
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder,
                                        "is not a seq2seq decoder (input_ids, encoder_hidden_states)")
        rest_inputs = {i.name: i for i in self.rest.get_inputs()}
        own, cross = past_inputs(set(rest_inputs))
        if not own:
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder_with_past,
                                        "has no past key/value inputs; export the model 'with past'")
        config = self.files.config
        heads, head_dim = heads_and_dim(rest_inputs[own[0]].shape, int(config.get("decoder_attention_heads", 8)),
                                        int(config.get("d_model", 512)))
        graphs = DecoderGraphs(self.first, self.rest, own, cross, heads, head_dim)
        missing = graphs.missing_outputs()
        if missing:
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder,
                                        f"lacks the outputs {', '.join(missing[:3])}")
        return graphs

    def encode(self, input_ids: IntArray, attention_mask: IntArray) -> np.ndarray[Any, Any]:
        out = self.encoder.run(self.encoder_output, {"input_ids": input_ids, "attention_mask": attention_mask})
        result: np.ndarray[Any, Any] = out[0]
        return result

    def state(self, input_ids: IntArray, attention_mask: IntArray, beams: int) -> DecodeState:
        """Encode a padded batch; the cache of its decoding, each row repeated `beams` times."""
        return DecodeState(self.graphs, self.encode(input_ids, attention_mask), attention_mask, beams)


def _draft_file(files: Seq2SeqFiles) -> Path | None:
    """The int8 merged decoder beside an fp32 model's graphs, if there is one."""
    if files.quantized or files.decoder_merged is None:
        return None
    for suffix in QUANT_SUFFIXES:
        found = find_graphs(files.encoder.parent, suffix)
        if found is not None and found.decoder_merged is not None:
            log.debug("%s: %s is the draft of speculative decoding", files.root.name, found.decoder_merged.name)
            return found.decoder_merged
    return None
