"""`models convert --task image`: a diffusers Stable Diffusion folder to the ONNX folder the ONNX image
engine runs (fp32), with optimum's exporter (the `convert` extra: torch, optimum, diffusers).

Only diffusers folders (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/): a
single-file .safetensors checkpoint needs its pipeline's configuration files, which diffusers would
fetch from the hub, and stable-diffusion.cpp (the `image` extra) runs such a file as it is.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from engines.errors import InvalidModelFileError
from engines.imagegen.onnx.folder import INPUTS, read_onnx_image_folder
from engines.store.model_store import InstalledModel, ModelStore

IMAGE_TASKS = ["image"]


def check_diffusers_folder(src: Path) -> None:
    if src.is_file():
        raise InvalidModelFileError(src, "is a single file; converting to ONNX takes a diffusers folder (a single "
                                         ".safetensors runs as it is with stable-diffusion.cpp, the image extra)")
    if not (src / "model_index.json").is_file() or not (src / "unet").is_dir():
        raise InvalidModelFileError(src, "is not a diffusers Stable Diffusion folder (no model_index.json and unet/)")
    if any(src.rglob("*.bin")) and not any(src.rglob("*.safetensors")):
        raise InvalidModelFileError(
            src, "holds only pickle weights (.bin), which Candeia never loads; save it with safetensors")


def convert_image_folder(source: Path, target: Path, main_export: Callable[..., object],
                         say: Callable[[str], None]) -> None:
    """Export, move each large graph's weights beside it (memory-mapped at load), and validate."""
    from engines.convert.checkpoint import ConvertError, externalize_weights

    check_diffusers_folder(source)
    say(f"exporting {source} to {target} (fp32)")
    try:
        main_export(str(source), output=str(target), task="text-to-image", library_name="diffusers",
                    do_validation=False, device="cpu")
    except Exception as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise ConvertError(f"optimum could not export {source}: {exc}") from exc
    say("moving weights to external files (memory-mapped at load)")
    for part in INPUTS:
        if (target / part).is_dir():
            externalize_weights(target / part)
    read_onnx_image_folder(target)  # fails now, with a clear message, rather than at first use


def convert_image(source: Path, target: Path, model_id: str, store: ModelStore, main_export: Callable[..., object],
                  say: Callable[[str], None], *, owned: bool, int8: bool) -> InstalledModel:
    """Export `source` to `target` and register it (owned: Candeia's own copy, deleted with the model)."""
    from engines.convert.checkpoint import ConvertError

    if int8:
        raise ConvertError("--int8 is not offered for image models (an int8 UNet loses visible quality)")
    convert_image_folder(source, target, main_export, say)
    entry = store.add(target, name=f"{source.name} (ONNX)", model_id=model_id, tasks=IMAGE_TASKS)
    return store.update(entry.id, linked=False) if owned else entry
