"""`candeia-cli hardware`: what this machine offers a model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engines.system.sizes import human_size


def register(commands: Any) -> None:
    parser = commands.add_parser("hardware", help="CPU, memory, GPUs and accelerators Candeia can use")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engines.hardware.machine import detect

    hw = detect()
    devices = model_devices()
    if args.json:
        print(json.dumps({**hw.to_dict(), "devices": devices}, ensure_ascii=False, indent=2))
        return 0
    cores = f"{hw.logical_cores} logical" + (f", {hw.physical_cores} physical" if hw.physical_cores else "")
    rows = [
        ("system", f"{hw.os} ({hw.arch})"),
        ("cpu", hw.cpu_model or "unknown"),
        ("cores", cores),
        ("simd", ", ".join(hw.simd) or "-"),
        ("ram", f"{human_size(hw.ram_available)} free of {human_size(hw.ram_total)}"),
    ]
    for gpu in hw.gpus:
        memory = (
            "unified memory" if gpu.unified else f"{human_size(gpu.memory_free)} free of {human_size(gpu.memory_total)}"
        )
        rows.append(("gpu", f"{gpu.name} ({memory})"))
    if not hw.gpus:
        rows.append(("gpu", "none found" + ("" if _has_nvml() else " (install nvidia-ml-py to detect NVIDIA GPUs)")))
    rows.append(("onnx runtime", ", ".join(hw.onnx_providers) or "not installed"))
    offload = {True: "yes", False: "no (CPU-only build)", None: "unknown"}[hw.llama_gpu_offload]
    rows.append(("llama.cpp gpu", offload))
    rows.append(("onnx device", f"{devices['onnx']} (setting: {devices['onnx_setting']})"))
    rows.append(("gguf device", f"{devices['gguf']} (GPU layers: {devices['gpu_layers']})"))
    for model_id, device in devices["models"].items():
        rows.append((f"  {model_id}", device))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def model_devices() -> dict[str, Any]:
    """The device each kind of model, and each installed model, would run on with the current settings."""
    from engines.gguf.info import read_gguf
    from engines.hardware.devices import current_device_settings
    from engines.store.model_store import ModelFormat, ModelStore

    plan = current_device_settings()
    models: dict[str, str] = {}
    for model in ModelStore().installed():
        if model.format is ModelFormat.onnx:
            models[model.id] = plan.onnx
            continue
        try:
            info = read_gguf(model.path)
        except Exception:  # a moved or damaged file: `models verify` says why
            models[model.id] = "unreadable"
            continue
        if not info.is_companion:
            models[model.id] = plan.gguf(info.block_count)
    return {"onnx": plan.onnx, "onnx_setting": plan.onnx_choice, "gguf": plan.gguf(None),
            "gpu_layers": plan.gpu_layers, "models": models}


def _has_nvml() -> bool:
    try:
        import pynvml  # noqa: F401
    except ImportError:
        return False
    return True
