"""The image host, child side: one process that loads one image model and serves its client: a
stable-diffusion.cpp model (a .safetensors/.gguf file), or an ONNX folder run by ONNX Runtime
(engines/imagegen/onnx, which needs no stable-diffusion.cpp and stops at a cancel between steps).

Started as `python -m engines.cli.image_host` (or the frozen `candeia-cli --image-host`). The channel,
the main loop and the error replies are the engine host's (engines/cli/engine_host.py); only the
requests differ. stable-diffusion.cpp links its own ggml, so this process never imports llama.cpp.
Images travel as base64 PNG, the init image included: the host never opens a user's file, the app
has validated and decoded it already (engines/images/decode.py).
"""

from __future__ import annotations

import base64
import collections
import ctypes
import io
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from engines.cli.engine_host import Host, run_host
from engines.errors import ModelLoadError
from engines.host import wire
from engines.host.launch import EXIT_OOM
from engines.jobs import CancelToken

PREVIEW_METHOD = "proj"  # a linear projection of the latent: costs nothing next to a step
SD_LOG_WARN = 2
# stable-diffusion.cpp returns no image (rather than aborting) when a compute buffer cannot be allocated
_OUT_OF_MEMORY = ("failed to allocate", "alloc failed", "out of memory", "cannot allocate")
_log_tail: collections.deque[str] = collections.deque(maxlen=40)
_log_callback: Any = None  # kept alive: stable-diffusion.cpp holds a pointer to it


def capture_log() -> None:
    """stable-diffusion.cpp's log: the last lines kept to tell out-of-memory from other failures, warnings
    and errors to stderr (the app's log keeps a host's last lines)."""
    global _log_callback
    from stable_diffusion_cpp import stable_diffusion_cpp as sd_cpp

    @sd_cpp.sd_log_callback  # type: ignore[untyped-decorator]
    def on_log(level: int, text: bytes, data: Any) -> None:
        line = text.decode("utf-8", errors="replace")
        _log_tail.append(line)
        if level >= SD_LOG_WARN:
            sys.stderr.write(line)

    _log_callback = on_log
    sd_cpp.sd_set_log_callback(on_log, ctypes.c_void_p(0))


def ran_out_of_memory() -> bool:
    return any(marker in line.lower() for line in _log_tail for marker in _OUT_OF_MEMORY)


def png_b64(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def image_from_b64(data: str) -> Any:
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data)), formats=["PNG"]) as opened:
        return opened.convert("RGB")


class ImageHost(Host):
    def _op_load(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        from engines.imagegen.onnx.folder import looks_like_onnx_image_folder

        if looks_like_onnx_image_folder(Path(message["path"])):
            return self._load_onnx(message)
        from stable_diffusion_cpp import StableDiffusion

        capture_log()
        started = time.perf_counter()
        threads = int(message.get("threads") or -1)
        try:
            # vae_decode_only=False: img2img encodes its init image; the default rng ("cuda", Philox) gives
            # the same noise on every device, so a seed makes the same image on CPU and GPU
            self._engine = StableDiffusion(model_path=str(message["path"]), n_threads=threads,
                                           vae_decode_only=False, verbose=bool(message.get("verbose")))
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(f"stable-diffusion.cpp could not load {message['path']} ({exc})") from None
        self._kind = "image"
        return {"load_ms": (time.perf_counter() - started) * 1000.0, "device": "CPU"}

    def _load_onnx(self, message: wire.Message) -> dict[str, Any]:
        from engines.imagegen.onnx.folder import read_onnx_image_folder
        from engines.imagegen.onnx.pipeline import OnnxImagePipeline

        started = time.perf_counter()
        pipeline = OnnxImagePipeline(read_onnx_image_folder(Path(message["path"])), threads=message.get("threads"))
        self._engine, self._kind = pipeline, "onnx-image"
        return {"load_ms": (time.perf_counter() - started) * 1000.0, "device": pipeline.device}

    def _generate_onnx(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        """Image i of the batch from seed + i; the steps of each image counted from 1, as stable-diffusion.cpp's."""
        import numpy as np
        from PIL import Image

        from engines.imagegen.settings import ImageSettings

        pipeline = self._loaded("onnx-image")
        fields: dict[str, Any] = message["settings"]
        settings = ImageSettings(**fields, sampler=str(message["method"]))
        init = np.asarray(image_from_b64(message["init_image"])) if message.get("init_image") else None

        def on_step(step: int, total: int, png: bytes | None) -> None:
            preview = base64.b64encode(png).decode("ascii") if png else None
            self.send({"id": ident, "step": step, "total": total, "preview": preview})

        images = [pipeline.generate(settings, seed=settings.seed + i, init=init, cancel=cancel, on_step=on_step,
                                    preview=bool(message.get("preview", True)))
                  for i in range(settings.batch_count)]
        return {"images": [png_b64(Image.fromarray(pixels, "RGB")) for pixels in images]}

    def _op_generate(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        if self._kind == "onnx-image":
            return self._generate_onnx(ident, message, cancel)
        engine = self._loaded("image")
        s: dict[str, Any] = message["settings"]
        preview = bool(message.get("preview", True))

        def on_progress(step: int, steps: int, seconds: float) -> None:
            self.send({"id": ident, "step": int(step), "total": int(steps)})

        def on_preview(step: int, frames: list[Any], noisy: bool) -> None:
            if frames:
                self.send({"id": ident, "preview": png_b64(frames[0]), "step": int(step)})

        init = image_from_b64(message["init_image"]) if message.get("init_image") else None
        _log_tail.clear()
        try:
            # eta inf: each sampler's own default (1 for the ancestral ones), as sd-cli and AUTOMATIC1111 use
            images = engine.generate_image(
                prompt=s["prompt"], negative_prompt=s["negative_prompt"], width=s["width"], height=s["height"],
                cfg_scale=s["guidance"], sample_method=message["method"], scheduler=message["scheduler"],
                sample_steps=s["steps"], eta=math.inf, seed=s["seed"], batch_count=s["batch_count"],
                init_image=init, strength=s["strength"], progress_callback=on_progress,
                preview_method=PREVIEW_METHOD if preview else "none",
                preview_callback=on_preview if preview else None)
        except ValueError:  # the binding's "NULL pointer access": no image came back
            images = []
        if not images and ran_out_of_memory():
            os._exit(EXIT_OOM)  # as every host reports it: the client says "ran out of memory", the app stays up
        if not images:
            raise ModelLoadError("stable-diffusion.cpp made no image (see the log for its messages)")
        return {"images": [png_b64(image) for image in images]}


def main() -> int:
    return run_host(ImageHost)


if __name__ == "__main__":
    raise SystemExit(main())
