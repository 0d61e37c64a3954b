"""An image model in an image host process: the app-side client (an ImageEngine).

An ONNX folder (engines/imagegen/onnx) stops at a `cancel` message: the host ends the UNet run it is
in (ONNX Runtime's terminate flag) and answers, and stays loaded for the next generation; one that has
not answered STOP_GRACE_S later is ended (engines/host/process.py). stable-diffusion.cpp has no way to
stop a generation part way, so for its models Cancel ends the host process (at once, within the step
it is in) and the next generation starts a new one and loads the model again: the price of a cancel
is one model load. A host that dies (kill -9, out of memory) is replaced the same way, after its cause
is raised as an EngineCrashedError.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import random
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from engines.errors import EngineCrashedError, ModelLoadError
from engines.host.process import Call, HostProcess, result_of
from engines.imagegen.check import check_memory, check_settings
from engines.imagegen.engine import Generated, StepCallback
from engines.imagegen.onnx.schedule import check_sampler
from engines.imagegen.samplers import SCHEDULER, sampler
from engines.imagegen.settings import ImageSettings
from engines.imagegen.weights import ImageModelInfo, read_image_model
from engines.jobs import Cancelled, CancelToken

MAX_SEED = 2**32 - 1


class HostedImageEngine:
    def __init__(self, info: ImageModelInfo, model_id: str, *, threads: int | None = None) -> None:
        self.info = info
        self.model_id = model_id
        self.model_path = info.path
        self.threads = threads
        self.device = "CPU"
        self.load_ms = 0.0
        self._host: HostProcess | None = None
        self._start()

    @classmethod
    def open(cls, ref: str | Path, *, threads: int | None = None) -> HostedImageEngine:
        from engines.store.models import resolve_model

        resolved = resolve_model(str(ref))
        info = read_image_model(resolved.path)  # refused here, before any native code sees the file
        if info.format != "onnx" and importlib.util.find_spec("stable_diffusion_cpp") is None:
            raise ModelLoadError("image generation needs stable-diffusion.cpp: pip install 'candeia[image]'")
        return cls(info, resolved.label, threads=threads)

    def _start(self) -> HostProcess:
        started = time.perf_counter()
        host = HostProcess(f"image:{self.model_path.name}", kind="image")
        try:
            loaded = host.call("load", path=str(self.model_path), threads=self.threads)
        except BaseException:
            host.kill("closing")
            host.wait_ended(5.0)
            raise
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.device = str(loaded.get("device", "CPU"))
        self._host = host
        return host

    def generate(self, settings: ImageSettings, *, cancel: CancelToken | None = None,
                 on_step: StepCallback | None = None) -> list[Generated]:
        check_settings(settings)
        if self.info.format == "onnx":
            check_sampler(sampler(settings.sampler))
        check_memory(self.info, settings)
        if settings.seed < 0:
            settings = replace(settings, seed=random.randint(0, MAX_SEED))
        init = _init_png(settings) if settings.init_image is not None else None
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        host = self._host if self._host is not None and self._host.alive else self._start()
        fields = {k: getattr(settings, k) for k in ("prompt", "negative_prompt", "width", "height", "steps",
                                                   "guidance", "seed", "batch_count", "strength")}
        started = time.perf_counter()
        call = host.start("generate", settings=fields, method=sampler(settings.sampler), scheduler=SCHEDULER,
                          init_image=init)
        try:
            encoded = self._follow(call, cancel, _Progress(settings, on_step))
        finally:
            host.finish(call)
        each = (time.perf_counter() - started) / max(1, len(encoded))
        return [Generated(_decode(data), replace(settings, seed=settings.seed + i, batch_count=1), each)
                for i, data in enumerate(encoded)]

    def _follow(self, call: Call, cancel: CancelToken, progress: _Progress) -> list[str]:
        """The generation's progress messages until its images; Cancelled once it stopped on a cancel."""
        while True:
            if cancel.cancelled and self.info.format != "onnx":
                self._end_host()
                raise Cancelled()
            if cancel.cancelled:
                call.cancel()  # once; the host answers within the step it is in
            message = call.next(0.05)
            if message is None:
                continue
            if isinstance(message, EngineCrashedError):
                self._host = None
                if cancel.cancelled:  # ended for not stopping in time
                    raise Cancelled()
                raise message
            if "ok" in message or "error" in message:
                if cancel.cancelled:
                    raise Cancelled()
                images: list[str] = result_of(message)["images"]
                return images
            progress.update(message)

    def _end_host(self) -> None:
        if self._host is not None:
            self._host.kill("closing")
            self._host.wait_ended(5.0)
            self._host = None

    def close(self) -> None:
        if self._host is not None:
            self._host.close()
            self._host = None

    def __enter__(self) -> HostedImageEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Progress:
    """Turns the host's per-image step counts into one count over the whole batch."""

    def __init__(self, settings: ImageSettings, on_step: StepCallback | None) -> None:
        self.on_step = on_step
        self.image = 0
        self.last = 0
        self.per_image = settings.steps
        self.total = settings.steps * settings.batch_count

    def update(self, message: dict[str, object]) -> None:
        if self.on_step is None or "step" not in message:
            return
        step = int(str(message["step"]))
        if step < 1:  # stable-diffusion.cpp announces step 0 before the first one runs
            return
        if "total" in message:
            total = int(str(message["total"]))
            if total != self.per_image:  # img2img runs fewer steps than asked (steps x strength)
                self.per_image, self.total = total, total * (self.total // max(1, self.per_image))
            if step < self.last:
                self.image += 1
            self.last = step
        preview = message.get("preview")
        done = min(self.total, self.image * self.per_image + self.last)
        self.on_step(done, self.total, base64.b64decode(str(preview)) if preview else None)


def _decode(data: str) -> Image.Image:
    with Image.open(io.BytesIO(base64.b64decode(data)), formats=["PNG"]) as opened:
        image: Image.Image = opened.convert("RGB")
    return image


def _init_png(settings: ImageSettings) -> str:
    """The init image, validated as captioning validates images, resized to the output size, as PNG."""
    from engines.images.decode import load_image

    assert settings.init_image is not None
    image = load_image(settings.init_image).resize((settings.width, settings.height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
