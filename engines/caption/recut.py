"""Move decoder-step nodes that, once shapes are folded, read only the encoder's side into cross.onnx.

The first cut (split.py) can only see that a node depends on the encoder alone when all of its
inputs do. Exported attention scales the cached keys by a factor computed from the query's shape,
so that multiply stayed in the step graph and ran on every token over every cached key (for
vit-gpt2: 12 layers x 197 x 768 floats read and written per image per step). After
specialize.py folds the factor into a constant, such nodes belong to the once-per-image graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.caption.probe import check_pair, tolerance
from engines.onnx.graph import drop_unused_initializers, initializer_names, set_nodes, trace
from engines.onnx.rewrite import replace_verified


def _movable(step: Any, available: set[str]) -> list[Any]:
    """Nodes computed from `available` and the step's inline constants only; constants in the data
    file stay where they are (the cross graph has its own data file), so do nodes reading only constants."""
    return trace(step.node, available, initializer_names(step, inline_only=True), fold_constants=False).derived_nodes


def move_encoder_only_nodes(target: Path, *, atol: float = 1e-5) -> int:
    """Rewrite `target`'s cross.onnx and step.onnx (their weight files untouched); returns nodes moved.

    Raises ValueError, leaving both files as they were, when the result differs from before."""
    import onnx

    cross_path, step_path = target / "cross.onnx", target / "step.onnx"
    cross = onnx.load(str(cross_path), load_external_data=False)
    step = onnx.load(str(step_path), load_external_data=False)
    rtol = tolerance(cross.graph, step.graph)
    old_outputs = [o.name for o in cross.graph.output]
    moved = _movable(step.graph, set(old_outputs))
    if not moved:
        return 0
    moved_ids = {id(n) for n in moved}
    rest = [n for n in step.graph.node if id(n) not in moved_ids]
    needed = {i for n in rest for i in n.input} | {o.name for o in step.graph.output}
    produced = [o for n in moved for o in n.output]
    cut = [name for name in old_outputs + produced if name in needed]
    used_by_moved = {i for n in moved for i in n.input}
    cross.graph.node.extend(moved)
    cross.graph.initializer.extend(t for t in step.graph.initializer if t.name in used_by_moved)
    types = {v.name: v.type.tensor_type.elem_type
             for v in onnx.shape_inference.infer_shapes(cross).graph.value_info}
    types.update({o.name: o.type.tensor_type.elem_type for o in cross.graph.output})
    if any(not types.get(name) for name in cut):
        raise ValueError("no type for a tensor of the new cut")
    del cross.graph.output[:]
    cross.graph.output.extend(onnx.helper.make_tensor_value_info(n, types[n], None) for n in cut)
    kept_inputs = [i for i in step.graph.input if i.name not in old_outputs or i.name in needed]
    new_inputs = [onnx.helper.make_tensor_value_info(n, types[n], None) for n in produced if n in needed]
    del step.graph.input[:]
    step.graph.input.extend(kept_inputs + new_inputs)
    set_nodes(step.graph, rest)
    drop_unused_initializers(step.graph)
    replace_verified([(cross, cross_path), (step, step_path)], lambda staged: check_pair(
        (cross_path, step_path), (staged[0], staged[1]), rtol, atol,
        "moving nodes to the cross graph changed the step's outputs"), tag="recut")
    return len(moved)
