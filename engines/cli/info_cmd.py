"""`candeia-cli info`: what a model file is, read without loading it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engines.errors import UsageError
from engines.hardware.devices import current_device_settings, onnx_device
from engines.onnx.info import inspect_onnx_folder
from engines.onnx.providers import available_providers
from engines.settings import load_settings
from engines.store.model_store import ModelStore
from engines.store.models import resolve_model


def register(commands: Any) -> None:
    parser = commands.add_parser("info", help="show a model's metadata without loading it")
    parser.add_argument("model", help="installed model id, a .gguf file or an ONNX model folder")
    parser.add_argument("--ctx", type=int, help="context size for the memory fit estimate (default: the setting)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def describe(ref: str, context: int | None = None) -> dict[str, Any]:
    from engines.gguf.info import read_gguf

    resolved = resolve_model(ref, ModelStore())
    if resolved.path.is_dir():
        onnx = inspect_onnx_folder(resolved.path)
        data: dict[str, Any] = {
            "path": str(onnx.path),
            "format": "onnx",
            "model_type": onnx.model_type,
            "size": onnx.total_size,
            "onnx_files": [str(p.relative_to(onnx.path)) for p in onnx.onnx_files],
            "tasks": onnx.tasks,
            "device": onnx_device(load_settings().onnx_provider, available_providers()),
        }
    else:
        from engines.cards.fit import ModelShape, estimate
        from engines.hardware.machine import detect

        info = read_gguf(resolved.path)
        data = {"format": "gguf", **info.summary()}
        if not info.is_companion:
            settings = load_settings()
            ctx = min(context or settings.context_size, info.context_length or settings.context_size)
            fit = estimate(ModelShape.from_gguf(info), ctx, detect(), settings.gpu_layers)
            data["fit"] = f"{fit.verdict}: {fit.detail}"
            data["device"] = current_device_settings(settings.gpu_layers).gguf(info.block_count)
    if resolved.installed is not None:
        data = {"id": resolved.installed.id, "linked": resolved.installed.linked, **data}
    return data


def run(args: argparse.Namespace) -> int:
    if args.ctx is not None and args.ctx < 16:
        raise UsageError("--ctx must be at least 16")
    data = describe(args.model, args.ctx)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value) or "-"
            print(f"{key.replace('_', ' '):<{width}}  {'-' if value is None else value}")
    return 0
