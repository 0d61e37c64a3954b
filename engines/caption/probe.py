"""Running a split decoder's step graph on random inputs, to check that a graph pass kept its results.

Every pass over the step graph (specialize.py, scales.py, recut.py) is checked by running the graphs
before and after it at a few (batch, past length, encoder length, tokens per run) sizes: the cut
tensors come from running `cross.onnx` on random encoder states, the past from random values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.onnx.graph import ENCODER_HIDDEN_STATES as ENC
from engines.onnx.providers import CPU
from engines.onnx.session import make_session

# Ops that quantize activations on the fly: a rewrite that moves an input by one float rounding can
# move a quantized activation by a whole step, and random-weight test models amplify that over the
# layers (1.6% of the logits' range for vit-gpt2 with MatMulNBits). Broken rewrites are off by ~100%.
QUANTIZING_OPS = {"MatMulNBits", "DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul"}
FLOAT_TOLERANCE, QUANTIZED_TOLERANCE = 1e-4, 5e-2
# (batch, past length, encoder length, tokens per run) at which a rewritten pair is compared
PAIR_CHECKS = ((1, 0, 5, 1), (3, 4, 2, 1), (2, 3, 4, 3))

Array = np.ndarray[Any, Any]


def tolerance(*graphs: Any) -> float:
    quantized = any(n.op_type in QUANTIZING_OPS for g in graphs for n in g.node)
    return QUANTIZED_TOLERANCE if quantized else FLOAT_TOLERANCE


def close(want: Array, have: Array, rtol: float, atol: float) -> bool:
    """Equal up to rounding, measured against the tensor's largest value: a rewrite that breaks the graph
    gives wrong shapes or wrong values, while one that only moves an int8 graph's dynamic quantization
    of activations by a rounding step moves outputs by a few percent of their range (see QUANTIZING_OPS)."""
    if want.shape != have.shape:
        return False
    scale = float(np.abs(want).max()) if want.size else 0.0
    return bool(np.all(np.abs(want - have) <= atol + rtol * scale))


def session(path: Path, optimize: bool) -> Any:
    """A one-thread CPU session; `optimize` False runs the graph as written (for reading tensors back)."""
    return make_session(path, 1, [CPU], external_weights=False, optimize=optimize, quiet=True)


def dims(value_info: Any) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value_info.type.tensor_type.shape.dim]


@dataclass(frozen=True)
class StepIo:
    """A step graph's inputs (name, dimensions) and which of them are the past keys/values."""

    step_inputs: list[tuple[str, list[int | str]]]
    past: list[str]

    @classmethod
    def of(cls, graph: Any) -> StepIo:
        return cls(step_inputs=[(i.name, dims(i)) for i in graph.input],
                   past=[i.name for i in graph.input if i.name.startswith("past_key_values.")])


def feeds(io: StepIo, cross: Any, batch: int, past: int, enc: int, hidden: int, rng: np.random.Generator,
          tokens: int = 1) -> dict[str, Array]:
    """Random inputs of the given sizes for the step graph, its cut inputs computed by `cross` (a session)."""
    hidden_states = rng.standard_normal((batch, enc, hidden)).astype(np.float32)
    out: dict[str, Array] = {}
    if cross is not None:
        names = [o.name for o in cross.get_outputs()]
        out.update(zip(names, cross.run(None, {ENC: hidden_states}), strict=True))
    for name, shape in io.step_inputs:
        if name == "input_ids":
            out[name] = rng.integers(0, 100, (batch, tokens), dtype=np.int64)
        elif name == ENC:
            out[name] = hidden_states
        elif name in io.past:
            heads, size = shape[1], shape[3]
            if not isinstance(heads, int) or not isinstance(size, int):
                raise ValueError(f"{name} has no fixed head count or head size")
            out[name] = rng.standard_normal((batch, heads, past, size)).astype(np.float32)
    return out


def hidden_size(cross: Any, graph: Any) -> int:
    sources = [i for i in cross.get_inputs() if i.name == ENC] if cross is not None else []
    sources += [i for i in graph.input if i.name == ENC]
    for source in sources:
        shape = source.shape if hasattr(source, "shape") else dims(source)
        if shape and isinstance(shape[-1], int):
            return int(shape[-1])
    raise ValueError("the encoder's hidden size is not fixed in the graph")


def run_pair(cross: Path, step: Path, batch: int, past: int, enc: int, seed: int = 0, tokens: int = 1
             ) -> list[Array]:
    """The step graph's outputs for random inputs of the given sizes, its cut inputs made by `cross`."""
    import onnx

    graph = onnx.load(str(step), load_external_data=False).graph
    cross_session = session(cross, optimize=True)
    inputs = feeds(StepIo.of(graph), cross_session, batch, past, enc, hidden_size(cross_session, graph),
                   np.random.default_rng(seed), tokens)
    del cross_session
    return list(session(step, optimize=True).run(None, inputs))


def check_pair(old: tuple[Path, Path], new: tuple[Path, Path], rtol: float, atol: float, what: str) -> None:
    """Raise ValueError(`what`) unless the (cross, step) pairs `old` and `new` give the same outputs."""
    for batch, past, enc, tokens in PAIR_CHECKS:
        want = run_pair(*old, batch, past, enc, tokens=tokens)
        got = run_pair(*new, batch, past, enc, tokens=tokens)
        for w, g in zip(want, got, strict=True):
            if not close(w, g, rtol, atol):
                raise ValueError(what)
