"""Split a captioning decoder so cross-attention keys and values are computed once per image.

optimum's decoder exports keep only the self-attention cache, so every generated token projects
the whole encoder output (197 x 768 for ViT-base) into cross-attention keys and values again in
every layer: about 2.8 GMAC per token for vit-gpt2, most of a step's work. This module cuts the
with-past decoder graph in two, once, and stores the halves in Candeia's cache:

- `cross.onnx`: every node that depends only on `encoder_hidden_states` (and weights), whose
  outputs are the per-layer cross-attention keys/values (whatever the exporter named them);
- `step.onnx`: the rest, taking those tensors as inputs.

The cut is found generically (no per-architecture names), so it also works for int8 models,
where the projections are MatMulInteger nodes. It needs the `onnx` package; without it, or when a
graph does not split cleanly, the engine runs the decoder as exported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engines.caption.recut import move_encoder_only_nodes
from engines.caption.scales import merge_scales_file
from engines.caption.specialize import specialize_step
from engines.onnx.data_files import save_external
from engines.onnx.graph import ENCODER_HIDDEN_STATES as ENC
from engines.onnx.graph import initializer_names, names_read, node_subgraphs, trace

log = logging.getLogger(__name__)

FORMAT_VERSION = "6"  # 2: step specialized (specialize.py); 3: recut (recut.py); 4, 5: scales.py; 6: any tokens per run


def _onnx() -> Any | None:
    try:
        import onnx
    except ImportError:
        return None
    return onnx


def available() -> bool:
    return _onnx() is not None


def _with_past_graph(onnx: Any, model: Any) -> Any:
    """A flat graph of the decoder's cache branch (the merged decoder's `If` then/else with past)."""
    graph = model.graph
    if not any(n.op_type == "If" for n in graph.node):
        return graph
    branch = None
    outer_nodes = []
    for node in graph.node:
        if node.op_type == "If" and node.input[0] == "use_cache_branch":
            for sub in node_subgraphs(node):
                if any(i.startswith("past_key_values.") for n in sub.node for i in n.input):
                    branch = sub
                    branch_outputs = list(node.output)
        else:
            outer_nodes.append(node)
    if branch is None:
        raise ValueError("no cache branch in the merged decoder")
    nodes = list(outer_nodes) + list(branch.node)
    renames = []
    for inner, outer in zip([o.name for o in branch.output], branch_outputs, strict=True):
        if inner != outer:
            renames.append(onnx.helper.make_node("Identity", [inner], [outer], name=f"candeia_out_{outer}"))
    inputs = [i for i in graph.input if i.name != "use_cache_branch"]
    flat = onnx.helper.make_graph(
        nodes + renames, "decoder_with_past", inputs, list(graph.output),
        initializer=list(graph.initializer) + list(branch.initializer),
    )
    flat.value_info.extend(branch.value_info)
    return flat


def _partition(graph: Any) -> tuple[list[Any], list[Any], list[str], bool]:
    """(cross nodes, step nodes, boundary tensor names, whether step still reads encoder_hidden_states)."""
    traced = trace(graph.node, {ENC}, initializer_names(graph))
    placed = {id(n) for n in traced.derived_nodes} | {id(n) for n in traced.constant_nodes}
    cross_nodes = traced.derived_nodes
    step_nodes = [n for n in graph.node if id(n) not in placed]
    consumed_by_step = {i for n in step_nodes for i in n.input} | {o.name for o in graph.output}
    boundary = [name for n in cross_nodes for name in n.output if name in consumed_by_step]
    needs_enc = ENC in consumed_by_step

    def with_consts(nodes: list[Any]) -> list[Any]:
        wanted = {i for n in nodes for i in n.input}
        chosen: list[Any] = []
        for node in reversed(traced.constant_nodes):  # walk back so constants feeding constants are kept
            if any(o in wanted for o in node.output):
                chosen.append(node)
                wanted.update(node.input)
        return list(reversed(chosen)) + nodes

    return with_consts(cross_nodes), with_consts(step_nodes), boundary, needs_enc


def _subset_model(onnx: Any, source: Any, graph: Any, nodes: list[Any], inputs: list[Any], outputs: list[Any],
                  name: str) -> Any:
    new_graph = onnx.helper.make_graph(nodes, name, inputs, outputs)
    read = names_read(new_graph)  # copy only the weights it reads: copying all would double the memory
    new_graph.initializer.extend(t for t in graph.initializer if t.name in read)
    model = onnx.helper.make_model(new_graph, opset_imports=list(source.opset_import))
    model.ir_version = source.ir_version
    return model


def split_decoder(decoder: Path, target: Path) -> bool:
    """Write `cross.onnx` and `step.onnx` into `target`; False when the graph has nothing to split."""
    onnx = _onnx()
    if onnx is None:
        return False
    source = onnx.load(str(decoder))
    graph = _with_past_graph(onnx, source)
    cross_nodes, step_nodes, boundary, needs_enc = _partition(graph)
    if not boundary:
        return False
    # types of the cut tensors, from shape inference on the flat graph
    probe = onnx.helper.make_model(
        onnx.helper.make_graph(
            list(graph.node), "probe", list(graph.input), list(graph.output),
            initializer=[], value_info=list(graph.value_info),
        ),
        opset_imports=list(source.opset_import),
    )
    probe.ir_version = source.ir_version
    for tensor in graph.initializer:  # shapes only: inference needs no weights
        probe.graph.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, tensor.dims))
    inferred = onnx.shape_inference.infer_shapes(probe)
    types = {v.name: v.type.tensor_type.elem_type for v in inferred.graph.value_info}
    missing = [b for b in boundary if not types.get(b)]
    if missing:
        log.debug("cannot split %s: no type for %s", decoder, missing[:3])
        return False
    enc_input = next(i for i in graph.input if i.name == ENC)
    cut = [onnx.helper.make_tensor_value_info(b, types[b], None) for b in boundary]
    cross = _subset_model(onnx, source, graph, cross_nodes, [enc_input], cut, "cross_kv")
    step_inputs = [i for i in graph.input if i.name != ENC or needs_enc] + cut
    step = _subset_model(onnx, source, graph, step_nodes, step_inputs, list(graph.output), "decoder_step")
    target.mkdir(parents=True, exist_ok=True)
    for model, name in ((cross, "cross.onnx"), (step, "step.onnx")):
        save_external(model, target / name)
    del source, graph, cross, step, probe, inferred  # the weights: the probes below load them again
    try:
        removed = specialize_step(target / "step.onnx", target / "cross.onnx")
        log.debug("specialized %s: %d nodes fewer per step", decoder.name, removed)
    except Exception as exc:  # still a correct graph, only slower
        log.warning("could not specialize %s's decoder step (%s); using it unspecialized", decoder.name, exc)
        return True
    try:
        merged = merge_scales_file(target / "cross.onnx", target / "step.onnx")
        log.debug("scaled %d attention queries instead of their keys in %s's step", merged, decoder.name)
    except Exception as exc:
        log.warning("could not merge the attention scales of %s's step (%s)", decoder.name, exc)
    try:
        moved = move_encoder_only_nodes(target)
        log.debug("moved %d nodes of %s's step to the once-per-image graph", moved, decoder.name)
    except Exception as exc:
        log.warning("could not move encoder-only nodes out of %s's step (%s)", decoder.name, exc)
    return True


def split_files(decoder: Path, cache_root: Path) -> tuple[Path, Path] | None:
    """The cached halves of `decoder`, made on first use (None when splitting is not possible)."""
    from engines.onnx.derived import derived_entry

    if not available():
        return None
    entry = derived_entry(decoder, cache_root, FORMAT_VERSION, lambda work: split_decoder(decoder, work),
                          expect=["cross.onnx", "step.onnx"], needs_bytes=decoder.stat().st_size)
    return (entry / "cross.onnx", entry / "step.onnx") if entry is not None else None
