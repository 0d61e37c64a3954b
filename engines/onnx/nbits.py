"""8-bit weight-only quantization of a decoder's MatMul/Gemm weights to ONNX Runtime's MatMulNBits.

A decoder step multiplies one row of activations by every weight matrix. ONNX Runtime's dynamic
int8 path (DynamicQuantizeLinear + MatMulInteger, fused to DynamicQuantizeMatMul) runs a general
GEMM there; MatMulNBits with `accuracy_level` 4 has kernels written for that one-row case, and took
about a quarter less CPU per vit-gpt2 step on this project's test machine. For the encoder (197
rows per image) the dynamic path was twice as fast, so that stays with `quantize_dynamic`.

Weights are quantized symmetrically in blocks of `block_size` along K, each block with its own
fp32 scale (finer than the dynamic path's one scale per tensor). The packing is ONNX Runtime's
own (`quantize_matmul_8bits`), so no other package is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engines.onnx.data_files import save_external
from engines.onnx.graph import ENCODER_HIDDEN_STATES, all_graphs, drop_unused_initializers, set_nodes, trace

MS_DOMAIN = "com.microsoft"


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def nbits_available() -> bool:
    """Whether this ONNX Runtime has the 8-bit block packer (a private helper of recent releases)."""
    try:
        from onnxruntime.capi._pybind_state import quantize_matmul_8bits  # noqa: F401
    except ImportError:
        return False
    return True


def _pack(weight: np.ndarray[Any, Any], block_size: int, bits: int = 8
          ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(packed [N, blocks, block_size * bits / 8] uint8, scales [N, blocks]) of a [K, N] fp32 weight."""
    from onnxruntime.capi import _pybind_state

    if bits not in (4, 8):
        raise ValueError(f"{bits}-bit blocks are not supported")
    pack = _pybind_state.quantize_matmul_8bits if bits == 8 else _pybind_state.quantize_matmul_4bits
    rows, cols = weight.shape
    blocks = (rows + block_size - 1) // block_size
    if blocks * block_size != rows:
        weight = np.pad(weight, ((0, blocks * block_size - rows), (0, 0)))
    packed = np.zeros((cols, blocks, block_size * bits // 8), dtype=np.uint8)
    scales = np.zeros((cols, blocks), dtype=np.float32)
    zero_points = np.zeros((cols, blocks), dtype=np.uint8)  # unused: symmetric
    pack(packed, np.ascontiguousarray(weight, dtype=np.float32), scales, zero_points, block_size, cols, rows, True)
    return packed, scales


def encoder_side_nodes(model: Any, encoder_input: str = ENCODER_HIDDEN_STATES) -> frozenset[str]:
    """Names of the nodes (If branches included) computed from the encoder's output and weights only:
    the cross-attention key/value projections, which run once per image over every encoder position."""
    graphs = list(all_graphs(model.graph))
    constants = {t.name for g in graphs for t in g.initializer}
    traced = trace((n for g in graphs for n in g.node), {encoder_input}, constants)
    return frozenset(n.name for n in traced.derived_nodes)


@dataclass
class _Packer:
    """Each 2-D fp32 weight packed once (per orientation), stored in the graph that holds the weight."""

    model: Any
    block_size: int
    bits: int
    packed: dict[tuple[str, bool], tuple[str, str, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        graphs = list(all_graphs(self.model.graph))
        self.weights = {t.name: t for g in graphs for t in g.initializer}
        self.owner = {t.name: g for g in graphs for t in g.initializer}

    def __call__(self, name: str, transposed: bool) -> tuple[str, str, int, int] | None:
        """(packed name, scales name, K, N) of weight `name`, or None when it is not a 2-D fp32 tensor."""
        import onnx
        from onnx import numpy_helper

        tensor = self.weights.get(name)
        if tensor is None or tensor.data_type != onnx.TensorProto.FLOAT or len(tensor.dims) != 2:
            return None
        if (name, transposed) not in self.packed:
            weight = numpy_helper.to_array(tensor)
            weight = weight.T if transposed else weight
            q, scales = _pack(weight, self.block_size, self.bits)
            suffix = "_t" if transposed else ""
            q_name, s_name = f"{name}{suffix}_nbits{self.bits}", f"{name}{suffix}_nbits{self.bits}_scales"
            self.owner[name].initializer.extend(
                [numpy_helper.from_array(q, q_name), numpy_helper.from_array(scales, s_name)])
            self.packed[(name, transposed)] = (q_name, s_name, weight.shape[0], weight.shape[1])
        return self.packed[(name, transposed)]


def _weight_of(node: Any) -> tuple[str, bool] | None:
    """(weight input, whether it is transposed) of a MatMul, or of a Gemm that is a plain product plus bias."""
    if node.op_type not in ("MatMul", "Gemm"):
        return None
    a = _attrs(node)
    plain_gemm = node.op_type == "Gemm" and a.get("alpha", 1.0) == 1.0 and a.get("beta", 1.0) == 1.0 \
        and not a.get("transA", 0)
    if node.op_type == "MatMul" or plain_gemm:
        return node.input[1], bool(a.get("transB", 0))
    return None


def _nbits_nodes(node: Any, packed: tuple[str, str, int, int], options: dict[str, Any]) -> tuple[list[Any], str]:
    """The MatMulNBits (and bias Add) standing for `node`, and the name of the MatMulNBits output."""
    from onnx import helper

    q_name, s_name, rows, cols = packed
    bias = node.input[2] if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2] else None
    out = node.output[0] + "_nobias" if bias else node.output[0]
    nodes = [helper.make_node("MatMulNBits", [node.input[0], q_name, s_name], [out], name=node.name + "_nbits",
                              domain=MS_DOMAIN, K=rows, N=cols, **options)]
    if bias:
        nodes.append(helper.make_node("Add", [out, bias], [node.output[0]], name=node.name + "_bias"))
    return nodes, out


def quantize_nbits(source: Path, target: Path, *, block_size: int = 128, accuracy_level: int = 4,
                   skip: frozenset[str] = frozenset(), bits: int = 8, external_data: bool = False) -> int:
    """Write `source` with every MatMul/Gemm that has a 2-D fp32 weight as MatMulNBits (`bits`: 8 or 4)
    to `target`, If branches included; nodes named in `skip` stay as they are. Returns nodes changed.
    `external_data`: the weights go to a data file beside it (data_files.py; ONNX Runtime maps it)."""
    import onnx
    from onnx import helper

    model = onnx.load(str(source))
    packer = _Packer(model, block_size, bits)
    options: dict[str, Any] = {"bits": bits, "block_size": block_size, "accuracy_level": accuracy_level}
    changed = 0
    # innermost graphs first, and a graph's node list rebuilt only when it changed: rebuilding copies
    # the nodes, and with them any branch graphs, so edits made to those afterwards would be lost
    for graph in reversed(list(all_graphs(model.graph))):
        nodes, before = [], changed
        for node in graph.node:
            weight = _weight_of(node) if node.name not in skip else None
            packed = packer(*weight) if weight is not None else None
            if packed is None:
                nodes.append(node)
                continue
            replacement, out = _nbits_nodes(node, packed, options)
            nodes.extend(replacement)
            # ONNX's shape inference does not know contrib ops: say the type, so that it can carry on past
            graph.value_info.append(helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, None))
            changed += 1
        if changed != before:
            set_nodes(graph, nodes)
    drop_unused_initializers(model.graph)
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    if external_data:
        save_external(model, target)
    else:
        onnx.save(model, str(target))
    return changed
