"""Where an ONNX graph's external weights live, and saving a graph with its weights there.

One naming: `<graph file name>_data` beside the graph (`model.onnx_data`), as optimum's exports and
Candeia's converter write it. Caption caches made before this naming kept `<graph>.onnx.data`; such
files are still found (a graph names its own data file, so ONNX Runtime loads either).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA_SUFFIX = "_data"
LEGACY_DATA_SUFFIX = ".data"
# smaller tensors stay in the graph, as onnx.save's default threshold does
MIN_EXTERNAL_BYTES = 1024


def data_file(graph: Path) -> Path:
    """Where the weights of `graph` go."""
    return graph.with_name(graph.name + DATA_SUFFIX)


def existing_data_files(graph: Path) -> list[Path]:
    """The data files beside `graph` under either naming (the current one first)."""
    names = (graph.name + DATA_SUFFIX, graph.name + LEGACY_DATA_SUFFIX)
    return [path for name in names if (path := graph.with_name(name)).is_file()]


def folder_data_files(folder: Path) -> list[Path]:
    """Every data file of the ONNX graphs in `folder`, under either naming."""
    return sorted({*folder.glob(f"*.onnx{DATA_SUFFIX}"), *folder.glob(f"*.onnx{LEGACY_DATA_SUFFIX}")})


def save_external(model: Any, path: Path) -> None:
    """Write `model` to `path` with its larger tensors in `data_file(path)` (ONNX Runtime maps them)."""
    import onnx

    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location=data_file(path).name, size_threshold=MIN_EXTERNAL_BYTES)
