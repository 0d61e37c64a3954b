"""Validate an ONNX Stable Diffusion folder before any session loads it.

The layout is optimum's export of a StableDiffusionPipeline (and diffusers' own ONNX export):
`model_index.json`, `text_encoder/model.onnx`, `unet/model.onnx`, `vae_decoder/model.onnx`,
`vae_encoder/model.onnx` (img2img only), `tokenizer/` and `scheduler/scheduler_config.json`.
Each graph is read with `onnx.load(..., load_external_data=False)` (a damaged protobuf is refused
here, not by ONNX Runtime half way through a load), must have the inputs the pipeline feeds, and
every external-data tensor must lie inside its data file (a truncated download is refused too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError
from engines.imagegen.onnx.schedule import ScheduleConfig
from engines.onnx.folder import read_json

GRAPH = "model.onnx"
INPUTS = {"text_encoder": ("input_ids",), "unet": ("sample", "timestep", "encoder_hidden_states"),
          "vae_decoder": ("latent_sample",), "vae_encoder": ("sample",)}
REQUIRED = ("text_encoder", "unet", "vae_decoder")
DEFAULT_SCALING = 0.18215  # SD 1.x/2.x's VAE latent scale, when the folder's config does not say
_SDXL_INPUTS = ("text_embeds", "time_ids")


@dataclass(frozen=True)
class OnnxImageFolder:
    path: Path
    hidden_width: int  # the text encoder's width the UNet cross-attends to: 768 SD 1.x, 1024 SD 2.x
    scaling_factor: float
    schedule: ScheduleConfig
    weight_bytes: int
    parameter_count: int
    has_vae_encoder: bool

    def graph(self, part: str) -> Path:
        return self.path / part / GRAPH


def looks_like_onnx_image_folder(path: Path) -> bool:
    return path.is_dir() and (path / "unet" / GRAPH).is_file()


def read_onnx_image_folder(path: Path) -> OnnxImageFolder:
    """InvalidModelFileError (one sentence) for a folder this pipeline cannot run."""
    for part in REQUIRED:
        if not (path / part / GRAPH).is_file():
            raise InvalidModelFileError(path, f"is not an ONNX Stable Diffusion folder ({part}/{GRAPH} is missing)")
    if not (path / "tokenizer").is_dir():
        raise InvalidModelFileError(path, "is not an ONNX Stable Diffusion folder (tokenizer/ is missing)")
    scheduler = read_json(path / "scheduler" / "scheduler_config.json", missing="is missing: the folder needs it "
                          "for its noise schedule")
    schedule = ScheduleConfig.from_json(scheduler, path / "scheduler" / "scheduler_config.json")
    parts = [p for p in INPUTS if (path / p / GRAPH).is_file()]
    graphs = {part: _read_graph(path / part / GRAPH, INPUTS[part]) for part in parts}
    unet_inputs = {i.name: i for i in graphs["unet"].graph.input}
    if any(name in unet_inputs for name in _SDXL_INPUTS):
        raise InvalidModelFileError(path, "is a Stable Diffusion XL folder, which the ONNX engine cannot run yet")
    width = _last_dim(unet_inputs["encoder_hidden_states"]) or _text_width(graphs["text_encoder"])
    if not width:
        raise InvalidModelFileError(path, "has a UNet whose text width cannot be read")
    vae = read_json(path / "vae_decoder" / "config.json", missing=None)
    counts = [_weights(graph, (path / part / GRAPH)) for part, graph in graphs.items()]
    return OnnxImageFolder(path=path, hidden_width=width,
                           scaling_factor=float(vae.get("scaling_factor") or DEFAULT_SCALING), schedule=schedule,
                           weight_bytes=sum(n_bytes for _, n_bytes in counts),
                           parameter_count=sum(n for n, _ in counts), has_vae_encoder="vae_encoder" in graphs)


def _read_graph(file: Path, inputs: tuple[str, ...]) -> Any:
    import onnx

    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise InvalidModelFileError(file, f"is not a readable ONNX graph ({type(exc).__name__})") from None
    names = {i.name for i in model.graph.input}
    missing = [name for name in inputs if name not in names]
    if missing:
        raise InvalidModelFileError(file, f"is not the graph this part needs (no input '{missing[0]}')")
    return model


def _last_dim(value_info: Any) -> int:
    dims = value_info.type.tensor_type.shape.dim
    return int(dims[-1].dim_value) if dims else 0


def _text_width(model: Any) -> int:
    return next((_last_dim(o) for o in model.graph.output if o.name == "last_hidden_state"), 0)


def _weights(model: Any, file: Path) -> tuple[int, int]:
    """(parameters, bytes) of a graph's initializers; InvalidModelFileError when external data is missing
    or shorter than a tensor needs."""
    from onnx import TensorProto, helper

    parameters = n_bytes = 0
    sizes: dict[str, int] = {}
    for tensor in model.graph.initializer:
        count = math.prod(tensor.dims)
        parameters += count
        if tensor.data_location != TensorProto.EXTERNAL:
            n_bytes += count * helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        data = file.parent / info.get("location", "")
        if data.name not in sizes:
            sizes[data.name] = data.stat().st_size if data.is_file() and data.parent == file.parent else -1
        if sizes[data.name] < 0:
            raise InvalidModelFileError(file, f"needs the weights file '{info.get('location')}' beside it")
        end = int(info.get("offset", 0)) + int(info.get("length", 0))
        if end > sizes[data.name]:
            raise InvalidModelFileError(file, f"is truncated: tensor '{tensor.name}' lies outside its weights file")
        n_bytes += int(info.get("length", 0))
    return parameters, n_bytes
