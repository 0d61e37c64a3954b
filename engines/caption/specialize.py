"""Fold a decoder step graph's shape arithmetic into constants.

Exported decoders recompute every tensor shape at run time: per layer, dozens of Shape, Gather,
Unsqueeze, Concat and Slice nodes feed Reshapes and the attention scale. For vit-gpt2's step graph
that is about 1,000 of the 1,750 nodes ONNX Runtime keeps, each some executor overhead per token,
and they keep the attention scale a run-time value (see scales.py). Most of those values depend only on
the batch, the past length and the encoder length; the others also on how many tokens a run feeds (one
per plain step, several when speculative decoding verifies a draft, see speculative.py), so the probes
vary that too and such values stay computed.

The values are found by running the graph, not by parsing it (no per-architecture patterns): every
tensor computed only from shapes is read back at a few (batch, past, encoder length, tokens) probes.
Tensors equal at every probe become initializers; a Reshape target gets 0 where it always copies its
input's dimension and -1 for one remaining varying entry. The pruned graph is checked against the
original on fresh probes, several tokens per run included, before it is kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from engines.caption.probe import StepIo, close, feeds, hidden_size, session, tolerance
from engines.onnx.graph import ENCODER_HIDDEN_STATES as ENC
from engines.onnx.graph import initializer_names, keep_needed_nodes, trace
from engines.onnx.rewrite import replace_verified

log = logging.getLogger(__name__)

# (batch, past length, encoder length, tokens per run)
PROBES = ((1, 0, 3, 1), (2, 1, 5, 1), (3, 6, 2, 2), (1, 13, 7, 3), (2, 5, 4, 4))
CHECKS = ((2, 4, 6, 1), (3, 2, 5, 3), (1, 0, 4, 5))
SHAPE_OPS = {"Shape", "Size"}
Array = np.ndarray[Any, Any]


def shape_derived(graph: Any) -> tuple[set[str], list[str]]:
    """(tensors computed from shapes and constants only, those of them that other nodes read)."""
    derived = trace(graph.node, (), initializer_names(graph), seed=lambda n: n.op_type in SHAPE_OPS).derived
    outputs = {o.name for o in graph.output}
    read = [i for n in graph.node if not set(n.output) <= derived for i in n.input if i in derived]
    frontier = list(dict.fromkeys(i for i in read if i not in outputs))
    return derived, frontier


def _constant(values: list[Array]) -> Array | None:
    first = values[0]
    same = all(v.dtype == first.dtype and v.shape == first.shape and np.array_equal(v, first) for v in values)
    return first if same else None


def _reshape_target(shapes: list[tuple[int, ...]], inputs: list[tuple[int, ...]] | None = None
                    ) -> np.ndarray[Any, Any] | None:
    """A constant Reshape target for the output shapes seen at the probes: 0 copies the input's
    dimension where the output's always equals it (ONNX Reshape without `allowzero`), and -1 stands
    for the one dimension left varying (it can stand for one only; a zero-sized dimension would make
    either ambiguous)."""
    if len({len(s) for s in shapes}) != 1:
        return None
    dims = np.array(shapes, dtype=np.int64)
    if (dims == 0).any():
        return None
    varying = (dims != dims[0]).any(axis=0)
    target: np.ndarray[Any, Any] = dims[0].copy()
    if inputs is not None and varying.sum() > 1 and len({len(s) for s in inputs}) == 1:
        source = np.array(inputs, dtype=np.int64)
        width = min(source.shape[1], dims.shape[1])
        copied = np.zeros(dims.shape[1], dtype=bool)
        copied[:width] = (dims[:, :width] == source[:, :width]).all(axis=0) & varying[:width]
        target[copied] = 0
        varying &= ~copied
    if varying.sum() > 1:
        return None
    target[varying] = -1
    return target


def _aliases(graph: Any, frontier: list[str], seen: dict[str, list[np.ndarray[Any, Any]]]) -> dict[str, str]:
    """Varying shape values equal at every probe to one computed earlier (each layer works out its
    Reshape targets from the same batch and token count): read that one instead."""
    position = {o: i for i, n in enumerate(graph.node) for o in n.output}
    first: dict[tuple[Any, ...], str] = {}
    aliases = {}
    for name in sorted(frontier, key=lambda n: position.get(n, -1)):
        if name not in position:
            continue
        key = tuple((v.dtype.str, v.shape, v.tobytes()) for v in seen[name])
        if key in first:
            aliases[name] = first[key]
        else:
            first[key] = name
    return aliases


def _prune(onnx: Any, graph: Any, replace: dict[str, Any], targets: dict[str, Any],
           aliases: dict[str, str] | None = None) -> int:
    """Point readers of `replace`'s tensors, and the Reshapes making `targets`' tensors, at new
    initializers, and readers of `aliases`' keys at their values; then drop the nodes nothing needs."""
    for index, node in enumerate(n for n in graph.node if n.op_type == "Reshape" and n.output[0] in targets):
        new = f"candeia_shape_{index}"
        graph.initializer.append(onnx.numpy_helper.from_array(targets[node.output[0]], new))
        node.input[1] = new
    renamed = {}
    for index, (name, value) in enumerate(replace.items()):
        new = f"candeia_folded_{index}"
        graph.initializer.append(onnx.numpy_helper.from_array(value, new))
        renamed[name] = new
    renamed.update({k: v for k, v in (aliases or {}).items() if k not in renamed and v not in replace})
    for node in graph.node:
        for slot, name in enumerate(node.input):
            if name in renamed:
                node.input[slot] = renamed[name]
    return keep_needed_nodes(graph)


def _check_io(io: StepIo, cross: Any) -> None:
    names = {name for name, _ in io.step_inputs}
    cross_outputs = {o.name for o in cross.get_outputs()} if cross is not None else set()
    unknown = names - {"input_ids", ENC, *io.past, *cross_outputs}
    if "input_ids" not in names or not io.past or unknown:
        raise ValueError(f"not a decoder step graph (inputs {sorted(unknown)[:3]})")


def _read_back(model: Any, step: Path, frontier: list[str], reshapes: list[Any], probes: list[dict[str, Array]]
               ) -> tuple[dict[str, list[Array]], dict[str, list[tuple[int, ...]]]]:
    """The frontier's values, and the shapes going into and out of `reshapes`, at each of `probes`."""
    import onnx

    probe_model = onnx.ModelProto()
    probe_model.CopyFrom(model)
    outputs = probe_model.graph.output
    outputs.extend(onnx.ValueInfoProto(name=n) for n in frontier)
    outputs.extend(onnx.ValueInfoProto(name=n.output[0]) for n in reshapes)
    present = {o.name for o in outputs}
    outputs.extend(onnx.ValueInfoProto(name=n) for n in dict.fromkeys(r.input[0] for r in reshapes)
                   if n not in present)
    probe_path = step.with_name(f".probe-{step.name}")
    seen: dict[str, list[Array]] = {n: [] for n in frontier}
    shapes: dict[str, list[tuple[int, ...]]] = {n: [] for r in reshapes for n in (r.output[0], r.input[0])}
    try:
        onnx.save(probe_model, str(probe_path))
        probe = session(probe_path, optimize=False)
        out_names = [o.name for o in probe.get_outputs()]
        for inputs in probes:
            results = dict(zip(out_names, probe.run(None, inputs), strict=True))
            for n in frontier:
                seen[n].append(np.asarray(results[n]))
            for n in shapes:
                shapes[n].append(tuple(np.asarray(results[n]).shape))
    finally:
        probe_path.unlink(missing_ok=True)
    return seen, shapes


def _reshape_targets(reshapes: list[Any], shapes: dict[str, list[tuple[int, ...]]], replace: dict[str, Any]
                     ) -> dict[str, Array]:
    targets = {}
    for node in reshapes:
        allow_zero = any(a.name == "allowzero" and a.i for a in node.attribute)
        target = _reshape_target(shapes[node.output[0]], None if allow_zero else shapes[node.input[0]])
        if target is not None and node.input[1] not in replace:
            targets[node.output[0]] = target
    return targets


def _check_same(original: Path, special: Path, outputs: list[str], checks: list[dict[str, Array]],
                rtol: float, atol: float) -> None:
    """Compare like with like: optimized sessions on both sides (kernels differ by level), one step
    session at a time (each holds the weights)."""
    step = session(original, optimize=True)
    expected = [step.run(outputs, inputs) for inputs in checks]
    step = None
    step = session(special, optimize=True)
    for inputs, wanted in zip(checks, expected, strict=True):
        for name, want, have in zip(outputs, wanted, step.run(outputs, inputs), strict=True):
            if not close(want, have, rtol, atol):
                raise ValueError(f"the specialized graph's {name} differs from the original's (by "
                                 f"{np.abs(want - have).max() if want.shape == have.shape else 'shape'})")


def specialize_step(step: Path, cross: Path | None, *, atol: float = 1e-5) -> int:
    """Rewrite `step` (weights in external data beside it, left untouched); it still takes any number
    of tokens per run.

    Returns how many nodes were removed; raises ValueError when the graph is not a step graph this
    understands or the result does not match the original (the caller keeps the original then)."""
    import onnx

    model = onnx.load(str(step), load_external_data=False)
    graph = model.graph
    rtol = tolerance(graph)
    io = StepIo.of(graph)
    cross_session = session(cross, optimize=False) if cross is not None else None
    _check_io(io, cross_session)
    hidden = hidden_size(cross_session, graph)
    derived, frontier = shape_derived(graph)
    if not frontier:
        return 0
    reshapes = [n for n in graph.node if n.op_type == "Reshape" and n.input[1] in derived]
    rng = np.random.default_rng(0)
    probes = [feeds(io, cross_session, batch, past, enc, hidden, rng, tokens) for batch, past, enc, tokens in PROBES]
    seen, shapes = _read_back(model, step, frontier, reshapes, probes)
    replace = {n: v for n in frontier if (v := _constant(seen[n])) is not None}
    targets = _reshape_targets(reshapes, shapes, replace)
    varying = [n for n in frontier if n not in replace]
    removed = _prune(onnx, graph, replace, targets, _aliases(graph, varying, seen))
    outputs = [o.name for o in graph.output]
    checks = [feeds(io, cross_session, *sizes[:3], hidden, rng, sizes[3]) for sizes in CHECKS]
    replace_verified([(model, step)], lambda staged: _check_same(step, staged[0], outputs, checks, rtol, atol),
                     tag="special")
    return removed
