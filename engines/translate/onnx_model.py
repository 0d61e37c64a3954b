"""ONNX Runtime sessions for an encoder-decoder model, with the key/value cache kept in OrtValues.

One `OnnxSeq2Seq` holds the sessions (thread-safe, shared); each generation gets its own
`_DecodeState`, so two translations may run on one model at once. Per decoder step the Python work
is one IO binding: the previous step's outputs are bound as this step's inputs without copies.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from engines.errors import InvalidModelFileError
from engines.onnx.providers import DeviceReport
from engines.onnx.session import make_session, ort_module
from engines.translate.decoding import FloatArray, IntArray
from engines.translate.folder import Seq2SeqFiles

_PAST = re.compile(r"^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$")


class OnnxSeq2Seq:
    def __init__(self, files: Seq2SeqFiles, threads: int | None = None, providers: list[str] | None = None,
                 spin: bool | None = None) -> None:
        self.files = files
        self.device_report = DeviceReport()  # the providers the sessions got, and any fallback
        # Three sessions take turns: each stops spinning when its run ends, or its idle workers would
        # take the cores from the next one (docs/captioning.md, "Idle threads between sessions").
        self.encoder = make_session(files.encoder, threads, providers, spin, stop_spinning=True,
                                    report=self.device_report)
        if files.decoder_merged is not None:
            self.first = make_session(files.decoder_merged, threads, providers, spin, stop_spinning=True,
                                    report=self.device_report)
            self.rest = self.first
            self.merged = True
        else:
            assert files.decoder is not None and files.decoder_with_past is not None
            self.first = make_session(files.decoder, threads, providers, spin, stop_spinning=True,
                                    report=self.device_report)
            self.rest = make_session(files.decoder_with_past, threads, providers, spin, stop_spinning=True,
                                    report=self.device_report)
            self.merged = False
        self._check()

    def _check(self) -> None:
        enc_inputs = {i.name for i in self.encoder.get_inputs()}
        if not {"input_ids", "attention_mask"} <= enc_inputs:
            raise InvalidModelFileError(self.files.encoder, "is not a seq2seq encoder (input_ids, attention_mask)")
        self.first_inputs = {i.name: i for i in self.first.get_inputs()}
        self.rest_inputs = {i.name: i for i in self.rest.get_inputs()}
        if "input_ids" not in self.first_inputs or "encoder_hidden_states" not in self.first_inputs:
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder,
                                        "is not a seq2seq decoder (input_ids, encoder_hidden_states)")
        past = [n for n in self.rest_inputs if _PAST.match(n)]
        if not past:
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder_with_past,
                                        "has no past key/value inputs; export the model 'with past'")
        self.past_self = sorted((n for n in past if ".decoder." in n), key=_order)
        self.past_cross = sorted((n for n in past if ".encoder." in n), key=_order)
        self.present_self = [n.replace("past_key_values", "present") for n in self.past_self]
        self.present_cross = [n.replace("past_key_values", "present") for n in self.past_cross]
        shape = self.rest_inputs[self.past_self[0]].shape
        self.heads = shape[1] if isinstance(shape[1], int) else int(self.files.config.get("decoder_attention_heads", 8))
        if isinstance(shape[3], int):
            self.head_dim = shape[3]
        else:
            self.head_dim = int(self.files.config.get("d_model", 512)) // self.heads
        outputs = {o.name for o in self.first.get_outputs()}
        missing = [n for n in ["logits", *self.present_self, *self.present_cross] if n not in outputs]
        if missing:
            raise InvalidModelFileError(self.files.decoder_merged or self.files.decoder,
                                        f"lacks the outputs {', '.join(missing[:3])}")

    def state(self) -> _DecodeState:
        return _DecodeState(self)

    def encode(self, input_ids: IntArray, attention_mask: IntArray) -> np.ndarray[Any, Any]:
        out = self.encoder.run(["last_hidden_state"] if _has_output(self.encoder, "last_hidden_state") else None,
                               {"input_ids": input_ids, "attention_mask": attention_mask})
        result: np.ndarray[Any, Any] = out[0]
        return result


def _has_output(session: Any, name: str) -> bool:
    return any(o.name == name for o in session.get_outputs())


def _order(name: str) -> tuple[int, str]:
    m = _PAST.match(name)
    assert m is not None
    return int(m.group(1)), m.group(3)


class _DecodeState:
    """The cache of one generation: OrtValues handed from each step's outputs to the next step's inputs."""

    def __init__(self, model: OnnxSeq2Seq) -> None:
        self.m = model
        self.ort = ort_module()
        self.cross: list[Any] = []
        self.past: list[Any] = []
        self.enc: Any = None
        self.mask: Any = None
        self.rows = 0

    def start(self, input_ids: IntArray, attention_mask: IntArray, expand: int) -> None:
        hidden = self.m.encode(input_ids, attention_mask)
        if expand > 1:
            hidden = np.repeat(hidden, expand, axis=0)
            attention_mask = np.repeat(attention_mask, expand, axis=0)
        self.rows = hidden.shape[0]
        value = self.ort.OrtValue.ortvalue_from_numpy
        self.enc = value(np.ascontiguousarray(hidden))
        self.mask = value(np.ascontiguousarray(attention_mask, dtype=np.int64))
        self.cross = []
        self.past = []

    def step(self, tokens: IntArray) -> FloatArray:
        m = self.m
        value = self.ort.OrtValue.ortvalue_from_numpy
        first = not self.past
        session = m.first if first else m.rest
        inputs = m.first_inputs if first else m.rest_inputs
        binding = session.io_binding()
        binding.bind_ortvalue_input("input_ids", value(np.ascontiguousarray(tokens, dtype=np.int64).reshape(-1, 1)))
        if "encoder_attention_mask" in inputs:
            binding.bind_ortvalue_input("encoder_attention_mask", self.mask)
        if "encoder_hidden_states" in inputs:
            binding.bind_ortvalue_input("encoder_hidden_states", self.enc)
        if "use_cache_branch" in inputs:
            binding.bind_ortvalue_input("use_cache_branch", value(np.array([not first], dtype=bool)))
        if first:
            if m.merged:  # the merged graph wants every past input, even on its no-cache branch
                empty = value(np.zeros((self.rows, m.heads, 0, m.head_dim), dtype=np.float32))
                for name in m.past_self + m.past_cross:
                    binding.bind_ortvalue_input(name, empty)
            outputs = ["logits", *m.present_self, *m.present_cross]
        else:
            for name, ov in zip(m.past_self, self.past, strict=True):
                binding.bind_ortvalue_input(name, ov)
            for name, ov in zip(m.past_cross, self.cross, strict=True):
                binding.bind_ortvalue_input(name, ov)
            outputs = ["logits", *m.present_self]
        for name in outputs:
            binding.bind_output(name, "cpu")
        session.run_with_iobinding(binding)
        got = binding.get_outputs()
        n_self = len(m.present_self)
        self.past = list(got[1:1 + n_self])
        if first:
            self.cross = list(got[1 + n_self:])
        logits: FloatArray = got[0].numpy()
        return logits[:, -1, :]

    def reorder(self, rows: IntArray) -> None:
        value = self.ort.OrtValue.ortvalue_from_numpy
        self.past = [value(np.ascontiguousarray(ov.numpy()[rows])) for ov in self.past]

    def finish(self) -> None:
        self.past = []
        self.cross = []
        self.enc = None
        self.mask = None
