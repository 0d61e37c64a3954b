"""The image host, child side: one process that loads one stable-diffusion.cpp model and serves its client.

Started as `python -m engines.cli.image_host` (or the frozen `candeia-cli --image-host`). The channel,
the main loop and the error replies are the engine host's (engines/cli/engine_host.py); only the
requests differ. stable-diffusion.cpp links its own ggml, so this process never imports llama.cpp.
Images travel as base64 PNG, the init image included: the host never opens a user's file, the app
has validated and decoded it already (engines/images/decode.py).
"""

from __future__ import annotations

import base64
import io
import math
import os
import sys
import time
from typing import Any

from engines.cli.engine_host import Host, apply_memory_limit
from engines.errors import ModelLoadError
from engines.host import wire
from engines.host.launch import EXIT_OOM
from engines.jobs import CancelToken

PREVIEW_METHOD = "proj"  # a linear projection of the latent: costs nothing next to a step


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
        from stable_diffusion_cpp import StableDiffusion

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

    def _op_generate(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        engine = self._loaded("image")
        s: dict[str, Any] = message["settings"]
        preview = bool(message.get("preview", True))

        def on_progress(step: int, steps: int, seconds: float) -> None:
            self.send({"id": ident, "step": int(step), "total": int(steps)})

        def on_preview(step: int, frames: list[Any], noisy: bool) -> None:
            if frames:
                self.send({"id": ident, "preview": png_b64(frames[0]), "step": int(step)})

        # eta inf: each sampler's own default (1 for the ancestral ones), as sd-cli and AUTOMATIC1111 use
        init = image_from_b64(message["init_image"]) if message.get("init_image") else None
        images = engine.generate_image(
            prompt=s["prompt"], negative_prompt=s["negative_prompt"], width=s["width"], height=s["height"],
            cfg_scale=s["guidance"], sample_method=message["method"], scheduler=message["scheduler"],
            sample_steps=s["steps"], eta=math.inf, seed=s["seed"], batch_count=s["batch_count"], init_image=init,
            strength=s["strength"], progress_callback=on_progress,
            preview_method=PREVIEW_METHOD if preview else "none", preview_callback=on_preview if preview else None)
        if not images:
            raise ModelLoadError("stable-diffusion.cpp made no image (see the log for its messages)")
        return {"images": [png_b64(image) for image in images]}


def main() -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native code that prints to stdout now writes to stderr, never into the channel
    apply_memory_limit()
    host = ImageHost(sys.stdin.buffer, replies)
    try:
        host.serve()
    except MemoryError:
        os._exit(EXIT_OOM)
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
