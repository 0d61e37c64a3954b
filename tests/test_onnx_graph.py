"""The ONNX toolkit's graph helpers on small graphs built here: walk, prune, trace, save-external, verified rewrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engines.onnx.data_files import data_file, existing_data_files, folder_data_files, save_external
from engines.onnx.derived import derived_entry
from engines.onnx.graph import (
    all_graphs,
    drop_unused_initializers,
    has_subgraph,
    keep_needed_nodes,
    node_subgraphs,
    subgraph_inputs,
    trace,
)
from engines.onnx.rewrite import replace_verified

onnx = pytest.importorskip("onnx")
helper, numpy_helper, TensorProto = onnx.helper, onnx.numpy_helper, onnx.TensorProto
FLOAT = TensorProto.FLOAT


def _value(name: str, shape: list[Any] | None = None, kind: int = FLOAT) -> Any:
    return helper.make_tensor_value_info(name, kind, shape)


def _const(name: str, value: Any) -> Any:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def _nested_graph() -> Any:
    """x -> If(cond): then = Loop whose body reads the outer `w`; else = Identity(x)."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]), helper.make_node("Add", ["s_in", "w"], ["s_out"])],
        "body", [_value("i", [], TensorProto.INT64), _value("c_in", [], TensorProto.BOOL), _value("s_in")],
        [_value("c_out", [], TensorProto.BOOL), _value("s_out")])
    loop = helper.make_node("Loop", ["trip", "", "x"], ["looped"], body=body)
    then = helper.make_graph([loop], "then", [], [_value("looped")])
    otherwise = helper.make_graph([helper.make_node("Identity", ["x"], ["same"])], "else", [], [_value("same")])
    branch = helper.make_node("If", ["cond"], ["y"], then_branch=then, else_branch=otherwise)
    return helper.make_graph(
        [branch], "main", [_value("x", [2]), _value("cond", [], TensorProto.BOOL)], [_value("y", [2])],
        initializer=[_const("w", [1.0, 2.0]), numpy_helper.from_array(np.array(3, dtype=np.int64), "trip")])


def _branch(graph: Any, name: str) -> Any:
    return next(g for g in node_subgraphs(graph.node[0]) if g.name == name)


def test_the_walk_finds_if_branches_and_loop_bodies_at_any_depth() -> None:
    graph = _nested_graph()
    assert [g.name for g in all_graphs(graph)] == ["main", "else", "then", "body"]  # attributes sort by name
    branch = graph.node[0]
    assert has_subgraph(branch) and not has_subgraph(_branch(graph, "else").node[0])
    assert [g.name for g in node_subgraphs(branch)] == ["else", "then"]  # GRAPH attributes
    scan = helper.make_node("Scan", ["x"], ["z"], body=graph, num_scan_inputs=1)
    assert [g.name for g in node_subgraphs(scan)] == ["main"]
    graphs = helper.make_attribute("branches", [helper.make_graph([], "a", [], []), helper.make_graph([], "b", [], [])])
    assert graphs.type == onnx.AttributeProto.GRAPHS
    custom = helper.make_node("Custom", [], [])
    custom.attribute.append(graphs)
    assert [g.name for g in node_subgraphs(custom)] == ["a", "b"]  # GRAPHS attributes
    # the Loop body, two levels down, reads `w` from the main graph without listing it
    assert {"w", "trip", "x", "s_in", "c_in"} <= subgraph_inputs(branch)


def test_pruning_keeps_what_a_branch_reads_and_drops_the_rest() -> None:
    graph = _nested_graph()
    graph.node.append(helper.make_node("Mul", ["x", "unused_w"], ["dead"]))  # no output depends on it
    graph.initializer.append(_const("unused_w", [5.0, 5.0]))
    _branch(graph, "then").initializer.append(_const("branch_unused", [0.0]))
    assert keep_needed_nodes(graph) == 1
    assert [n.op_type for n in graph.node] == ["If"]
    assert {t.name for t in graph.initializer} == {"w", "trip"}  # read only inside the Loop body
    assert not _branch(graph, "then").initializer  # an initializer of a nested graph that nothing reads
    assert drop_unused_initializers(graph) == 0
    onnx.checker.check_graph(graph)


def test_drop_unused_initializers_counts_and_keeps_graph_outputs() -> None:
    graph = helper.make_graph([helper.make_node("Neg", ["a"], ["b"])], "g", [_value("a", [1])],
                              [_value("b", [1]), _value("c", [1])],
                              initializer=[_const("c", [1.0]), _const("d", [2.0]), _const("e", [3.0])])
    assert drop_unused_initializers(graph) == 2
    assert [t.name for t in graph.initializer] == ["c"]  # a graph output is read by whoever runs it


def _traced_graph() -> Any:
    nodes = [
        helper.make_node("MatMul", ["enc", "W"], ["k"], name="k"),
        helper.make_node("Constant", [], ["two"], name="two", value=_const("v", 2.0)),
        helper.make_node("Mul", ["W", "two"], ["W2"], name="W2"),  # constants only
        helper.make_node("Add", ["k", "W2"], ["k2"], name="k2"),  # derived and a folded constant
        helper.make_node("Add", ["k2", "tokens"], ["mixed"], name="mixed"),  # reads another input
        helper.make_node("Shape", ["tokens"], ["shape"], name="shape"),
        helper.make_node("If", ["flag"], ["branch"], name="branch",
                         then_branch=helper.make_graph([helper.make_node("Identity", ["k"], ["t"])], "t", [],
                                                       [_value("t")]),
                         else_branch=helper.make_graph([helper.make_node("Identity", ["k"], ["e"])], "e", [],
                                                       [_value("e")])),
    ]
    return helper.make_graph(nodes, "g", [_value("enc"), _value("tokens"), _value("flag", [], TensorProto.BOOL)],
                             [_value("mixed"), _value("branch")], initializer=[_const("W", np.eye(2))])


def test_trace_follows_the_sources_through_constants() -> None:
    graph = _traced_graph()
    found = trace(graph.node, {"enc"}, {"W"})
    assert [n.name for n in found.derived_nodes] == ["k", "k2"]
    assert [n.name for n in found.constant_nodes] == ["two", "W2"]
    assert found.derived == {"enc", "k", "k2"}
    assert {"two", "W2", "W"} <= found.constants
    assert "branch" not in found.derived  # a node with subgraphs is never traced: its branches read anything


def test_trace_without_folding_and_with_seeds() -> None:
    graph = _traced_graph()
    plain = trace(graph.node, {"enc"}, {"W"}, fold_constants=False)
    assert [n.name for n in plain.derived_nodes] == ["k"]  # W2 is not a constant it may use
    assert not plain.constant_nodes
    seeded = trace(graph.node, (), {"W"}, seed=lambda n: n.op_type == "Shape")
    assert [n.name for n in seeded.derived_nodes] == ["shape"]


def _weights_model(big: np.ndarray[Any, Any]) -> Any:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "big"], ["y0"]), helper.make_node("Add", ["y0", "small"], ["y"])],
        "g", [_value("x", [1, big.shape[0]])], [_value("y", [1, big.shape[1]])],
        initializer=[numpy_helper.from_array(big, "big"), _const("small", np.ones(big.shape[1]))])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_save_external_round_trip(tmp_path: Path) -> None:
    import onnxruntime as ort

    big = np.random.default_rng(0).standard_normal((16, 32)).astype(np.float32)  # 2 KiB: goes to the data file
    path = tmp_path / "model.onnx"
    save_external(_weights_model(big), path)
    assert data_file(path) == tmp_path / "model.onnx_data"
    assert existing_data_files(path) == [data_file(path)]
    assert data_file(path).stat().st_size >= big.nbytes
    graph_only = onnx.load(str(path), load_external_data=False).graph
    located = {t.name: t.data_location for t in graph_only.initializer}
    assert located == {"big": TensorProto.EXTERNAL, "small": TensorProto.DEFAULT}  # small tensors stay inline
    reloaded = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    np.testing.assert_array_equal(reloaded["big"], big)
    x = np.ones((1, 16), dtype=np.float32)
    (y,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(y, x @ big + 1, rtol=1e-5)


def test_the_older_data_file_name_is_still_found(tmp_path: Path) -> None:
    import onnxruntime as ort

    big = np.full((16, 32), 0.5, dtype=np.float32)
    legacy = tmp_path / "legacy.onnx"
    onnx.save(_weights_model(big), str(legacy), save_as_external_data=True, all_tensors_to_one_file=True,
              location="legacy.onnx.data", size_threshold=1024)  # as caption caches were written before
    save_external(_weights_model(big), tmp_path / "current.onnx")
    assert existing_data_files(legacy) == [tmp_path / "legacy.onnx.data"]
    assert folder_data_files(tmp_path) == [tmp_path / "current.onnx_data", tmp_path / "legacy.onnx.data"]
    session = ort.InferenceSession(str(legacy), providers=["CPUExecutionProvider"])
    assert session.run(None, {"x": np.ones((1, 16), dtype=np.float32)})[0][0, 0] == pytest.approx(9.0)


def test_a_derived_entry_with_the_older_data_file_name_is_reused(tmp_path: Path) -> None:
    source = tmp_path / "source.onnx"
    source.write_bytes(b"graph")
    builds = []

    def build(folder: Path) -> bool:
        builds.append(folder)
        (folder / "g.onnx").write_bytes(b"g")
        (folder / "g.onnx.data").write_bytes(b"w")  # an entry made before the naming changed
        return True

    first = derived_entry(source, tmp_path / "cache", "1", build, expect=["g.onnx"], expect_weights=["g.onnx"])
    again = derived_entry(source, tmp_path / "cache", "1", build, expect=["g.onnx"], expect_weights=["g.onnx"])
    assert first is not None and again == first and len(builds) == 1
    (first / "g.onnx.data").unlink()  # without its weights the entry is incomplete: made again
    remade = derived_entry(source, tmp_path / "cache", "1", build, expect=["g.onnx"], expect_weights=["g.onnx"])
    assert remade == first and len(builds) == 2 and (first / "g.onnx.data").is_file()


def _rewrite_case(tmp_path: Path) -> tuple[Path, Any]:
    path = tmp_path / "m.onnx"
    save_external(_weights_model(np.eye(16, 32, dtype=np.float32)), path)
    model = onnx.load(str(path), load_external_data=False)  # the graph only: weights stay in the data file
    model.graph.node[1].op_type = "Sub"  # a rewrite that changes the result
    return path, model


def _run(path: Path) -> Any:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": np.ones((1, 16), dtype=np.float32)})[0]


def test_a_verified_rewrite_that_changes_the_probe_is_refused(tmp_path: Path) -> None:
    path, model = _rewrite_case(tmp_path)
    before = path.read_bytes()
    want = _run(path)

    def check(staged: list[Path]) -> None:
        assert staged == [tmp_path / ".test-m.onnx"]
        if not np.allclose(_run(staged[0]), want):
            raise ValueError("the rewrite changed the outputs")

    with pytest.raises(ValueError, match="changed the outputs"):
        replace_verified([(model, path)], check, tag="test")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx_data"]  # nothing staged is left


def test_a_verified_rewrite_replaces_the_graph_and_keeps_its_weights(tmp_path: Path) -> None:
    path, model = _rewrite_case(tmp_path)
    weights = data_file(path).read_bytes()
    seen: list[Any] = []
    replace_verified([(model, path)], lambda staged: seen.append(_run(staged[0])), tag="test")
    assert [n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node] == ["MatMul", "Sub"]
    assert data_file(path).read_bytes() == weights
    np.testing.assert_allclose(_run(path), seen[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx_data"]
