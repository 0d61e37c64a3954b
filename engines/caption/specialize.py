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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.onnx.session import ort_module

log = logging.getLogger(__name__)

ENC = "encoder_hidden_states"
# (batch, past length, encoder length, tokens per run)
PROBES = ((1, 0, 3, 1), (2, 1, 5, 1), (3, 6, 2, 2), (1, 13, 7, 3), (2, 5, 4, 4))
CHECKS = ((2, 4, 6, 1), (3, 2, 5, 3), (1, 0, 4, 5))
SHAPE_OPS = {"Shape", "Size"}
# Ops that quantize activations on the fly: a rewrite that moves an input by one float rounding can
# move a quantized activation by a whole step, and random-weight test models amplify that over the
# layers (1.6% of the logits' range for vit-gpt2 with MatMulNBits). Broken rewrites are off by ~100%.
QUANTIZING_OPS = {"MatMulNBits", "DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul"}
FLOAT_TOLERANCE, QUANTIZED_TOLERANCE = 1e-4, 5e-2


def tolerance(*graphs: Any) -> float:
    quantized = any(n.op_type in QUANTIZING_OPS for g in graphs for n in g.node)
    return QUANTIZED_TOLERANCE if quantized else FLOAT_TOLERANCE


@dataclass(frozen=True)
class _Io:
    step_inputs: list[tuple[str, list[int | str]]]
    past: list[str]


def _dims(value_info: Any) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value_info.type.tensor_type.shape.dim]


def _subgraph_inputs(node: Any) -> set[str]:
    names: set[str] = set()
    for attr in node.attribute:
        graphs = [attr.g] if attr.type == 5 else list(attr.graphs) if attr.type == 10 else []
        for graph in graphs:
            for sub in graph.node:
                names.update(sub.input)
                names.update(_subgraph_inputs(sub))
    return names


def shape_derived(graph: Any) -> tuple[set[str], list[str]]:
    """(tensors computed from shapes and constants only, those of them that other nodes read)."""
    const = {t.name for t in graph.initializer}
    derived: set[str] = set()
    for node in graph.node:
        ins = [i for i in node.input if i]
        if node.op_type == "Constant":
            const.update(node.output)
        elif _subgraph_inputs(node):
            continue
        elif node.op_type in SHAPE_OPS:
            derived.update(node.output)
        elif ins and all(i in derived or i in const for i in ins):
            (derived if any(i in derived for i in ins) else const).update(node.output)
    outputs = {o.name for o in graph.output}
    read = [i for n in graph.node if not set(n.output) <= derived for i in n.input if i in derived]
    frontier = list(dict.fromkeys(i for i in read if i not in outputs))
    return derived, frontier


def _feeds(io: _Io, cross: Any, batch: int, past: int, enc: int, hidden: int, rng: np.random.Generator,
           tokens: int = 1) -> dict[str, np.ndarray[Any, Any]]:
    hidden_states = rng.standard_normal((batch, enc, hidden)).astype(np.float32)
    feeds: dict[str, np.ndarray[Any, Any]] = {}
    if cross is not None:
        names = [o.name for o in cross.get_outputs()]
        feeds.update(zip(names, cross.run(None, {ENC: hidden_states}), strict=True))
    for name, dims in io.step_inputs:
        if name == "input_ids":
            feeds[name] = rng.integers(0, 100, (batch, tokens), dtype=np.int64)
        elif name == ENC:
            feeds[name] = hidden_states
        elif name in io.past:
            heads, size = dims[1], dims[3]
            if not isinstance(heads, int) or not isinstance(size, int):
                raise ValueError(f"{name} has no fixed head count or head size")
            feeds[name] = rng.standard_normal((batch, heads, past, size)).astype(np.float32)
    return feeds


def _constant(values: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any] | None:
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


def close(want: np.ndarray[Any, Any], have: np.ndarray[Any, Any], rtol: float, atol: float) -> bool:
    """Equal up to rounding, measured against the tensor's largest value: a rewrite that breaks the graph
    gives wrong shapes or wrong values, while one that only moves an int8 graph's dynamic quantization
    of activations by a rounding step moves outputs by a few percent of their range (see QUANTIZING_OPS)."""
    if want.shape != have.shape:
        return False
    scale = float(np.abs(want).max()) if want.size else 0.0
    return bool(np.all(np.abs(want - have) <= atol + rtol * scale))


def _session(ort: Any, path: Path, optimize: bool) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


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
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
            needed.update(_subgraph_inputs(node))
    removed = len(graph.node) - len(keep)
    del graph.node[:]
    graph.node.extend(reversed(keep))
    used = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(used)
    return removed


def specialize_step(step: Path, cross: Path | None, *, atol: float = 1e-5) -> int:
    """Rewrite `step` (weights in external data beside it, left untouched); it still takes any number
    of tokens per run.

    Returns how many nodes were removed; raises ValueError when the graph is not a step graph this
    understands or the result does not match the original (the caller keeps the original then)."""
    import onnx

    ort = ort_module()
    model = onnx.load(str(step), load_external_data=False)
    graph = model.graph
    rtol = tolerance(graph)
    io = _Io(
        step_inputs=[(i.name, _dims(i)) for i in graph.input],
        past=[i.name for i in graph.input if i.name.startswith("past_key_values.")],
    )
    names = {name for name, _ in io.step_inputs}
    cross_session = _session(ort, cross, optimize=False) if cross is not None else None
    cross_outputs = {o.name for o in cross_session.get_outputs()} if cross_session is not None else set()
    unknown = names - {"input_ids", ENC, *io.past, *cross_outputs}
    if "input_ids" not in names or not io.past or unknown:
        raise ValueError(f"not a decoder step graph (inputs {sorted(unknown)[:3]})")
    hidden = _hidden_size(cross_session, graph)
    derived, frontier = shape_derived(graph)
    if not frontier:
        return 0
    probe_model = onnx.ModelProto()
    probe_model.CopyFrom(model)
    reshapes = [n for n in graph.node if n.op_type == "Reshape" and n.input[1] in derived]
    probe_model.graph.output.extend(onnx.ValueInfoProto(name=n) for n in frontier)
    probe_model.graph.output.extend(onnx.ValueInfoProto(name=n.output[0]) for n in reshapes)
    reshape_inputs = [n.input[0] for n in reshapes if n.input[0] not in {o.name for o in probe_model.graph.output}]
    probe_model.graph.output.extend(onnx.ValueInfoProto(name=n) for n in dict.fromkeys(reshape_inputs))
    probe_path = step.with_name(f".probe-{step.name}")
    special_path = step.with_name(f".special-{step.name}")
    try:
        onnx.save(probe_model, str(probe_path))
        probe = _session(ort, probe_path, optimize=False)
        out_names = [o.name for o in probe.get_outputs()]
        rng = np.random.default_rng(0)
        seen: dict[str, list[np.ndarray[Any, Any]]] = {n: [] for n in frontier}
        shape_seen: dict[str, list[tuple[int, ...]]] = {n: [] for n in
                                                        {*(r.output[0] for r in reshapes), *reshape_inputs}}
        for batch, past, enc, tokens in PROBES:
            feeds = _feeds(io, cross_session, batch, past, enc, hidden, rng, tokens)
            results = dict(zip(out_names, probe.run(None, feeds), strict=True))
            for n in frontier:
                seen[n].append(np.asarray(results[n]))
            for n in shape_seen:
                shape_seen[n].append(tuple(np.asarray(results[n]).shape))
        replace = {n: v for n in frontier if (v := _constant(seen[n])) is not None}
        targets = {}
        for node in reshapes:
            allow_zero = any(a.name == "allowzero" and a.i for a in node.attribute)
            target = _reshape_target(shape_seen[node.output[0]], None if allow_zero else shape_seen[node.input[0]])
            if target is not None and node.input[1] not in replace:
                targets[node.output[0]] = target
        varying = [n for n in frontier if n not in replace]
        removed = _prune(onnx, graph, replace, targets, _aliases(graph, varying, seen))
        onnx.save(model, str(special_path))
        del probe  # compare like with like: optimized sessions on both sides (kernels differ by level)
        outputs = [o.name for o in graph.output]
        checks = [_feeds(io, cross_session, *sizes[:3], hidden, rng, sizes[3]) for sizes in CHECKS]
        session = _session(ort, step, optimize=True)  # one step session at a time: each holds the weights
        expected = [session.run(outputs, feeds) for feeds in checks]
        session = None
        session = _session(ort, special_path, optimize=True)
        for feeds, wanted in zip(checks, expected, strict=True):
            for name, want, have in zip(outputs, wanted, session.run(outputs, feeds), strict=True):
                if not close(want, have, rtol, atol):
                    raise ValueError(f"the specialized graph's {name} differs from the original's (by "
                                     f"{np.abs(want - have).max() if want.shape == have.shape else 'shape'})")
        del session
        special_path.replace(step)
        return removed
    finally:
        probe_path.unlink(missing_ok=True)
        special_path.unlink(missing_ok=True)


def _hidden_size(cross: Any, graph: Any) -> int:
    sources = [i for i in cross.get_inputs() if i.name == ENC] if cross is not None else []
    sources += [i for i in graph.input if i.name == ENC]
    for source in sources:
        shape = source.shape if hasattr(source, "shape") else _dims(source)
        if shape and isinstance(shape[-1], int):
            return int(shape[-1])
    raise ValueError("the encoder's hidden size is not fixed in the graph")


def run_pair(cross: Path, step: Path, batch: int, past: int, enc: int, seed: int = 0, tokens: int = 1
             ) -> list[np.ndarray[Any, Any]]:
    """The step graph's outputs for random inputs of the given sizes, its cut inputs made by `cross`."""
    import onnx

    ort = ort_module()
    graph = onnx.load(str(step), load_external_data=False).graph
    io = _Io(step_inputs=[(i.name, _dims(i)) for i in graph.input],
             past=[i.name for i in graph.input if i.name.startswith("past_key_values.")])
    cross_session = _session(ort, cross, optimize=True)
    feeds = _feeds(io, cross_session, batch, past, enc, _hidden_size(cross_session, graph), np.random.default_rng(seed),
                   tokens)
    del cross_session
    return list(_session(ort, step, optimize=True).run(None, feeds))
