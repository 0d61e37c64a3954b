"""The decoder sessions of an encoder-decoder export and the names that tie them together.

optimum exports the decoder as one merged graph (`use_cache_branch` picks the first step or a later
one), as `decoder_model.onnx` + `decoder_with_past_model.onnx`, and captioning also splits it into a
once-per-image `cross.onnx` and a `step.onnx` (caption/split.py). Past inputs are named
`past_key_values.N.decoder.key` (self-attention) and `past_key_values.N.encoder.key` (cross-attention)
in translation exports, `past_key_values.N.key` (self-attention only) in captioning ones; each has a
`present...` output of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PAST = re.compile(r"^past_key_values\.(\d+)\.(?:(decoder|encoder)\.)?(key|value)$")


def _order(name: str) -> tuple[int, str]:
    m = _PAST.match(name)
    assert m is not None
    return int(m.group(1)), m.group(3)


def past_inputs(names: set[str] | list[str]) -> tuple[list[str], list[str]]:
    """(self-attention, cross-attention) past inputs among `names`, layer by layer, key before value."""
    matched = [n for n in names if _PAST.match(n)]
    cross = sorted((n for n in matched if ".encoder." in n), key=_order)
    own = sorted((n for n in matched if ".encoder." not in n), key=_order)
    return own, cross


def present(name: str) -> str:
    return name.replace("past_key_values", "present")


def input_names(session: Any) -> set[str]:
    return {i.name for i in session.get_inputs()}


def output_names(session: Any) -> set[str]:
    return {o.name for o in session.get_outputs()}


@dataclass
class DecoderGraphs:
    """`first` runs the first step (no cache yet), `rest` the later ones (the same session for a merged
    or split step graph). `cross`, when there is one, computes the cross-attention keys/values
    (`cross_past`, its outputs) once per generation; otherwise they are the first step's `present`
    outputs (translation) or recomputed by every step from `encoder_hidden_states` (an unsplit captioner)."""

    first: Any
    rest: Any
    self_past: list[str]
    cross_past: list[str]
    heads: int
    head_dim: int
    cross: Any = None
    inputs: dict[int, set[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.inputs = {id(s): input_names(s) for s in (self.first, self.rest)}
        self.self_present = [present(n) for n in self.self_past]
        self.cross_present = [] if self.cross is not None else [present(n) for n in self.cross_past]

    def inputs_of(self, session: Any) -> set[str]:
        names = self.inputs.get(id(session))
        if names is None:  # another session with the same inputs (a draft of the step graph)
            names = self.inputs[id(session)] = input_names(session)
        return names

    def missing_outputs(self) -> list[str]:
        """Outputs the first step must have and does not."""
        outputs = output_names(self.first)
        return [n for n in ["logits", *self.self_present, *self.cross_present] if n not in outputs]


def heads_and_dim(shape: list[Any], heads: int, hidden: int) -> tuple[int, int]:
    """Attention heads and head size from a past input's shape [rows, heads, length, head_dim], else
    from the model config (`heads`, `hidden` size)."""
    n = shape[1] if isinstance(shape[1], int) else heads
    dim = shape[3] if isinstance(shape[3], int) else hidden // n
    return n, dim
