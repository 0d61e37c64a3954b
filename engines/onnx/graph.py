"""Walking, pruning and tracing ONNX graphs (onnx's GraphProto), for Candeia's graph passes.

Every pass over an exported decoder (captioning's split, specialize, recut and scales; nbits) needs
the same few things: the graphs nested in `If`/`Loop`/`Scan` nodes, the names such a branch reads
from its enclosing graph, which tensors are computed only from some inputs and the weights, and the
clean-up after nodes move (ONNX Runtime warns about every initializer no node reads).

The functions take and return protobuf objects, so callers import `onnx` only where they load or
save; `onnx` itself is imported here only inside the functions that need its constants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# the name optimum's encoder-decoder exports give the encoder's output, the decoder's input
ENCODER_HIDDEN_STATES = "encoder_hidden_states"


def _graph_kinds() -> tuple[int, int]:
    from onnx import AttributeProto

    return AttributeProto.GRAPH, AttributeProto.GRAPHS


def node_subgraphs(node: Any) -> list[Any]:
    """The graphs held by `node`'s attributes (an If's branches, a Loop's body), not those nested deeper."""
    graph, graphs = _graph_kinds()
    found: list[Any] = []
    for attr in node.attribute:
        if attr.type == graph:
            found.append(attr.g)
        elif attr.type == graphs:
            found.extend(attr.graphs)
    return found


def has_subgraph(node: Any) -> bool:
    return bool(node_subgraphs(node))


def all_graphs(graph: Any) -> Iterator[Any]:
    """`graph` and every graph nested in it, outer before inner."""
    yield graph
    for node in graph.node:
        for sub in node_subgraphs(node):
            yield from all_graphs(sub)


def subgraph_inputs(node: Any) -> set[str]:
    """Every tensor name read inside `node`'s subgraphs, at any depth: a branch may read any tensor
    of the graphs around it without listing it as an input."""
    return {name for sub in node_subgraphs(node) for inner in all_graphs(sub) for n in inner.node for name in n.input}


def names_read(graph: Any) -> set[str]:
    """The names `graph` needs: its nodes' inputs (their subgraphs' included) and its outputs."""
    read = {o.name for o in graph.output}
    for node in graph.node:
        read.update(node.input)
        read.update(subgraph_inputs(node))
    return read


def drop_unused_initializers(graph: Any) -> int:
    """Remove the initializers of `graph` and of its subgraphs that nothing reads; returns how many."""
    read = names_read(graph)
    removed = 0
    for inner in all_graphs(graph):
        kept = [t for t in inner.initializer if t.name in read]
        if len(kept) != len(inner.initializer):
            removed += len(inner.initializer) - len(kept)
            del inner.initializer[:]
            inner.initializer.extend(kept)
    return removed


def set_nodes(graph: Any, nodes: Iterable[Any]) -> None:
    """Replace `graph`'s node list (the nodes are copied in: edit them before, not after)."""
    nodes = list(nodes)
    del graph.node[:]
    graph.node.extend(nodes)


def keep_needed_nodes(graph: Any) -> int:
    """Drop the nodes no graph output depends on, then the initializers left unread; returns nodes removed."""
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(graph.node):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
            needed.update(subgraph_inputs(node))
    removed = len(graph.node) - len(keep)
    if removed:
        set_nodes(graph, reversed(keep))
    drop_unused_initializers(graph)
    return removed


@dataclass
class Traced:
    """What `trace` found: tensors computed from the sources (with the nodes computing them) and
    tensors computed from constants alone (with their nodes, in graph order)."""

    derived: set[str]
    constants: set[str]
    derived_nodes: list[Any] = field(default_factory=list)
    constant_nodes: list[Any] = field(default_factory=list)


def trace(nodes: Iterable[Any], sources: Iterable[str], constants: Iterable[str], *,
          seed: Callable[[Any], bool] | None = None, fold_constants: bool = True) -> Traced:
    """Follow `nodes` (in graph order) forward from `sources`: a node is derived when all of its inputs
    are derived or constant and one at least is derived. Nodes holding subgraphs are left out (their
    branches may read anything). `seed(node)`: the node's outputs are derived whatever its inputs (a
    Shape node, say). `fold_constants`: a node reading constants only (a Constant node too) makes
    constants; off, only `constants` themselves count, for a caller that cannot move such nodes."""
    found = Traced(set(sources), set(constants))
    for node in nodes:
        if has_subgraph(node):
            continue
        ins = [i for i in node.input if i]
        if seed is not None and seed(node):
            found.derived.update(node.output)
            found.derived_nodes.append(node)
        elif fold_constants and all(i in found.constants for i in ins):
            found.constants.update(node.output)
            found.constant_nodes.append(node)
        elif ins and all(i in found.derived or i in found.constants for i in ins) \
                and any(i in found.derived for i in ins):
            found.derived.update(node.output)
            found.derived_nodes.append(node)
    return found


def initializer_names(graph: Any, *, inline_only: bool = False) -> set[str]:
    """`graph`'s initializers; `inline_only`: those whose values sit in the graph (not in a data file)."""
    from onnx import TensorProto

    return {t.name for t in graph.initializer if not inline_only or t.data_location != TensorProto.EXTERNAL}
