"""Apply attention's two scale factors to the query alone: MatMul(q * a, k * b) -> MatMul(q * (a*b), k).

Exported scaled-dot-product attention multiplies both the query and the keys by sqrt(1/sqrt(d)).
Once specialize.py has folded those factors into constants, the keys' multiply depends on nothing
computed in its layer: for cross-attention ONNX Runtime may run all twelve up front and hold twelve
scaled copies of the cached keys (58 MB at batch 8 for vit-gpt2), and for self-attention it
rescales the whole growing cache every token. Scaling the one-row query instead does neither.
The product is rounded once instead of twice, so scores can move by about one float rounding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engines.caption.probe import check_pair, tolerance
from engines.onnx.graph import drop_unused_initializers, initializer_names, set_nodes
from engines.onnx.rewrite import replace_verified


def _scalar(values: dict[str, np.ndarray[Any, Any]], node: Any) -> tuple[int, np.ndarray[Any, Any]] | None:
    """(slot of the other input, scale) for a Mul by a float32 scalar constant, else None."""
    if node is None or node.op_type != "Mul" or len(node.input) != 2:
        return None
    for slot in (0, 1):
        value = values.get(node.input[slot])
        if value is not None and value.size == 1 and value.dtype == np.float32:
            return 1 - slot, value
    return None


def merge_scales(graph: Any) -> int:
    """Rewrite `graph` in place; returns how many key-side multiplies were removed."""
    from onnx import numpy_helper

    inline = initializer_names(graph, inline_only=True)
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer if t.name in inline and
              len(t.dims) <= 1 and (not t.dims or t.dims[0] == 1)}
    producer = {o: n for n in graph.node for o in n.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    dropped: list[Any] = []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        query, keys = producer.get(node.input[0]), producer.get(node.input[1])
        q, k = _scalar(values, query), _scalar(values, keys)
        if q is None or k is None or readers.get(node.input[0]) != 1 or readers.get(node.input[1]) != 1:
            continue
        assert query is not None and keys is not None
        name = f"candeia_scale_{len(dropped)}"
        graph.initializer.append(numpy_helper.from_array((q[1] * k[1]).astype(np.float32).reshape(q[1].shape), name))
        query.input[1 - q[0]] = name
        node.input[1] = keys.input[k[0]]
        dropped.append(keys)
    set_nodes(graph, [n for n in graph.node if all(n is not d for d in dropped)])
    drop_unused_initializers(graph)  # ONNX Runtime warns about unused initializers
    return len(dropped)


def merge_scales_file(cross: Path, step: Path, *, atol: float = 1e-5) -> int:
    """merge_scales on `step` (weights in external data, untouched), checked against the original."""
    import onnx

    model = onnx.load(str(step), load_external_data=False)
    rtol = tolerance(model.graph)
    removed = merge_scales(model.graph)
    if not removed:
        return 0
    replace_verified([(model, step)], lambda staged: check_pair(
        (cross, step), (cross, staged[0]), rtol, atol, "merging the attention scales changed the step's outputs"),
        tag="scales")
    return removed
