"""`models convert`: export a local transformers checkpoint to an ONNX folder Candeia loads.

Needs the `convert` extra (torch + optimum); the import happens only here, only when asked. The int8
variant comes from ONNX Runtime's dynamic quantization of the MatMuls (also inside the merged
decoder's If branches), which leaves the embeddings in fp32; a captioner's decoder instead gets
MatMulNBits 8-bit blocks for its per-token weights (nbits.py), faster at one row per step.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from engines.errors import CandeiaError, InvalidModelFileError
from engines.paths import models_dir
from engines.store.model_store import InstalledModel, ModelStore, slugify

if TYPE_CHECKING:
    from engines.analysis.results import AnalysisTask

log = logging.getLogger(__name__)

ConvertTask = Literal["translate", "caption", "analysis", "image"]
_OPTIMUM_TASKS = {"translate": "text2text-generation-with-past", "caption": "image-to-text-with-past"}
_MODEL_TYPES = {"translate": ("marian", "m2m_100", "nllb", "nllb-moe"), "caption": ("vision-encoder-decoder",),
                "analysis": ("bert", "distilbert", "roberta", "xlm-roberta", "camembert", "deberta", "deberta-v2",
                             "electra", "mobilebert", "albert")}
# text analysis: the head named in config.json's architectures -> optimum's task, the analysis tasks it serves
_ANALYSIS_HEADS = {"ForSequenceClassification": ("text-classification", ["sentiment", "classify", "zero-shot"]),
                   "ForTokenClassification": ("token-classification", ["entities"]),
                   "ForQuestionAnswering": ("question-answering", ["qa"])}
INSTALL_HINT = "pip install 'candeia[convert]'"


class ConvertUnavailableError(CandeiaError, ImportError):
    """The optional converter (torch + optimum) is not installed."""


class ConvertError(CandeiaError, RuntimeError):
    """The export or the quantization failed."""


def _check_checkpoint(src: Path, task: ConvertTask) -> dict[str, Any]:
    if not src.is_dir():
        raise InvalidModelFileError(src, "is not a folder; convert takes a transformers checkpoint folder")
    config_path = src / "config.json"
    if not config_path.is_file():
        raise InvalidModelFileError(src, "has no config.json; it is not a transformers checkpoint")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(config_path, f"is not valid JSON ({exc})") from exc
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in _MODEL_TYPES[task]:
        kinds = ", ".join(_MODEL_TYPES[task])
        raise InvalidModelFileError(src, f"is a '{model_type}' model; --task {task} converts {kinds}")
    if not any(src.glob("*.safetensors")):
        if any(src.glob("*.bin")) or any(src.glob("*.pt")):
            raise InvalidModelFileError(
                src, "holds only pickle weights (.bin/.pt), which Candeia never loads; save it with safetensors")
        raise InvalidModelFileError(src, "holds no .safetensors weights")
    return dict(config)


def _analysis_head(src: Path, config: dict[str, Any]) -> tuple[str, list[str]]:
    """optimum's task and the analysis tasks for a checkpoint's head (BertForTokenClassification, ...)."""
    for architecture in config.get("architectures") or []:
        for suffix, found in _ANALYSIS_HEADS.items():
            if str(architecture).endswith(suffix):
                return found
    heads = ", ".join(_ANALYSIS_HEADS)
    raise InvalidModelFileError(src, f"has no analysis head in config.json's architectures (one of {heads})")


def _optimum_export() -> Callable[..., Any]:
    try:
        from optimum.exporters.onnx import main_export
    except ImportError as exc:
        raise ConvertUnavailableError(
            f"converting needs torch and optimum, which are not installed; install them with: {INSTALL_HINT}"
        ) from exc
    return main_export  # type: ignore[no-any-return]


def quantize_decoder_nbits(graph: Path, target: Path) -> None:
    """MatMulNBits (8-bit blocks) for the weights a decoder step multiplies one row by; dynamic int8
    for the cross-attention projections, which multiply every encoder position at once."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from engines.onnx.nbits import encoder_side_nodes, quantize_nbits

    cross = encoder_side_nodes(onnx.load(str(graph), load_external_data=False))
    quantize_nbits(graph, target, skip=cross)  # leaves only the cross projections in fp32 ...
    quantize_dynamic(target, target, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                     extra_options={"EnableSubgraph": True})  # ... for this to take


def quantize_int8(folder: Path, matmul_only: bool = True, decoder_nbits: bool = False) -> list[Path]:
    """Write `<name>_quantized.onnx` beside each graph of `folder`.

    `decoder_nbits`: decoders get the one-row recipe of nbits.py (MatMulNBits, 8-bit blocks) for the
    weights a step multiplies, and dynamic int8 for the cross-attention projections, which see every
    encoder position at once; encoders keep dynamic int8 (faster for many rows)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:  # pragma: no cover - onnxruntime is always installed with an extra
        raise ConvertUnavailableError(f"quantizing needs onnxruntime; install it with: {INSTALL_HINT}") from exc
    from engines.onnx.nbits import nbits_available

    if decoder_nbits and not nbits_available():
        log.warning("this ONNX Runtime has no 8-bit block quantizer; decoders get dynamic int8 instead")
        decoder_nbits = False
    written = []
    for graph in sorted(folder.glob("*.onnx")):
        if graph.stem.endswith(("_quantized", "_int8")):
            continue
        target = graph.with_name(f"{graph.stem}_quantized.onnx")
        try:
            if decoder_nbits and graph.stem.startswith("decoder"):
                quantize_decoder_nbits(graph, target)
            else:
                quantize_dynamic(
                    graph, target, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul"] if matmul_only else None,
                    extra_options={"EnableSubgraph": True},  # else the merged decoder's branches stay fp32
                )
        except Exception as exc:
            raise ConvertError(f"quantizing {graph.name} failed: {exc}") from exc
        written.append(target)
    return written


def externalize_weights(folder: Path) -> list[Path]:
    """Move each graph's weights to `<graph>.onnx_data` beside it.

    ONNX Runtime memory-maps external weights instead of parsing them out of the protobuf, which
    cut the peak memory of an opus-mt-sized model from about 1.7x to 1.2x its files' size here.
    The rewrite streams (engines/onnx/external.py), so converting a large model needs little memory.
    """
    from engines.onnx.data_files import data_file
    from engines.onnx.external import AlreadyExternalError, externalize

    done = []
    for graph in sorted(folder.glob("*.onnx")):
        data = data_file(graph)
        if data.exists():
            continue
        work = folder / f".externalize-{graph.stem}"
        work.mkdir(exist_ok=True)
        try:
            externalize(graph, work / graph.name)
            os.replace(work / data.name, data)  # the weights first: the graph must never point at nothing
            os.replace(work / graph.name, graph)
        except AlreadyExternalError:
            continue
        except Exception as exc:
            raise ConvertError(f"writing {graph.name} with external weights failed: {exc}") from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
        done.append(graph)
    return done


def convert_checkpoint(
    src: str | Path,
    *,
    task: ConvertTask = "translate",
    int8: bool = False,
    out: str | Path | None = None,
    model_id: str | None = None,
    store: ModelStore | None = None,
    log: Callable[[str], None] | None = None,
) -> InstalledModel:
    """Export `src` to ONNX (and int8 if asked), check that Candeia loads it, and register it."""
    source = Path(src).expanduser().resolve()
    if task == "image":
        from engines.convert.image import check_diffusers_folder

        check_diffusers_folder(source)
        optimum_task, tasks = "text-to-image", ["image"]
    else:
        config = _check_checkpoint(source, task)
        optimum_task, tasks = _analysis_head(source, config) if task == "analysis" else (_OPTIMUM_TASKS[task],
                                                                                          [str(task)])
    main_export = _optimum_export()
    store = store or ModelStore()
    new_id = model_id or slugify(f"{source.name}-onnx")
    target = Path(out).expanduser().resolve() if out else models_dir() / new_id
    owned = out is None
    if target.exists() and any(target.iterdir()):
        raise ConvertError(f"{target} already exists and is not empty; choose another --out or --id")
    say = log or (lambda _msg: None)
    if task == "image":
        from engines.convert.image import convert_image

        return convert_image(source, target, new_id, store, main_export, say, owned=owned, int8=int8)
    say(f"exporting {source} to {target}")
    try:
        main_export(str(source), output=str(target), task=optimum_task, do_validation=False,
                    library_name="transformers")
    except Exception as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise ConvertError(f"optimum could not export {source}: {exc}") from exc
    if int8:
        say("quantizing to int8 (MatMul weights)")
        quantize_int8(target, decoder_nbits=task == "caption")
    say("moving weights to external files (memory-mapped at load)")
    externalize_weights(target)
    if task == "translate":
        from engines.translate.engine import Seq2SeqEngine

        Seq2SeqEngine(target)  # fails now, with a clear message, rather than at first use
    elif task == "analysis":
        from engines.analysis.open import open_onnx_analyzer

        open_onnx_analyzer(cast("AnalysisTask", tasks[0]), target, threads=1).close()
    entry = store.add(target, name=f"{source.name} (ONNX{' + int8' if int8 else ''})", model_id=new_id, tasks=tasks)
    if owned:
        entry = store.update(entry.id, linked=False)
    return entry
