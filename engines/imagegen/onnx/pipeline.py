"""Stable Diffusion on ONNX Runtime: CLIP text encoder, UNet and VAE sessions, numpy Euler samplers.

One image per `generate` call (the host loops over a batch, seed + i). Text-to-image starts from seeded
numpy noise (`np.random.default_rng(seed)`), so a seed, settings and model make the same image on every
run; img2img encodes the init image with the VAE encoder and starts part way down the schedule
(strength x steps steps, at least one), as diffusers' img2img pipeline does. Guidance above 1 runs the
unconditional and the conditional pass in one UNet batch (classifier-free guidance); 0 or 1 runs one pass
(SD-Turbo). Cancel is checked between steps, and a run in progress is ended through ONNX Runtime's
terminate flag, so Cancel takes effect within the step it is in and the host stays up.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from engines.imagegen.onnx import schedule as sched
from engines.imagegen.onnx.folder import OnnxImageFolder
from engines.imagegen.onnx.preview import latent_preview_png
from engines.imagegen.onnx.tokenizer import ClipTokenizer
from engines.imagegen.settings import ImageSettings
from engines.jobs import Cancelled, CancelToken

# (step, total, preview PNG or None), step counting from 1 over this image's steps
OnStep = Callable[[int, int, "bytes | None"], None]
_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
           "tensor(int64)": np.int64, "tensor(int32)": np.int32}


class OnnxImagePipeline:
    def __init__(self, folder: OnnxImageFolder, threads: int | None = None) -> None:
        from engines.onnx.providers import DeviceReport
        from engines.onnx.session import make_session

        self.folder = folder
        self.report = DeviceReport()
        self._threads = threads
        self.tokenizer = ClipTokenizer(folder.path / "tokenizer")
        self.text, self.unet, self.decoder = (
            make_session(folder.graph(part), threads, stop_spinning=True, report=self.report)
            for part in ("text_encoder", "unet", "vae_decoder"))
        self._encoder: Any = None
        self._options: Any = None

    @property
    def device(self) -> str:
        return self.report.device

    def generate(self, settings: ImageSettings, *, seed: int, init: np.ndarray | None = None,
                 noise: np.ndarray | None = None, cancel: CancelToken | None = None,
                 on_step: OnStep | None = None, preview: bool = True) -> np.ndarray:
        """An (H, W, 3) uint8 image. `init`: (H, W, 3) uint8 pixels for img2img; `noise`: the starting
        standard-normal latent (1, 4, H/8, W/8) instead of the seed's (the parity test passes diffusers')."""
        sampler = sched.check_sampler(settings.sampler)
        cancel = cancel or CancelToken()
        rng = np.random.default_rng(seed)
        shape = (1, 4, settings.height // 8, settings.width // 8)
        noise = rng.standard_normal(shape, dtype=np.float32) if noise is None else noise.astype(np.float32)
        schedule = sched.make_schedule(self.folder.schedule, settings.steps)
        with self._terminate_on(cancel):
            hidden = self._embed(settings)
            start, latent = 0, noise * np.float32(schedule.init_sigma)
            if init is not None:
                run = min(settings.steps, max(1, int(settings.steps * settings.strength)))
                start = settings.steps - run
                latent = self._encode(init, rng) + noise * schedule.sigmas[start]
            for i in range(start, settings.steps):
                cancel.raise_if_cancelled()
                sigma, following = float(schedule.sigmas[i]), float(schedule.sigmas[i + 1])
                eps = self._predict(sched.scale_input(latent, sigma), float(schedule.timesteps[i]), hidden,
                                    settings.guidance)
                clean = sched.denoised(latent, eps, sigma, self.folder.schedule.prediction)
                latent = sched.step(sampler, latent, clean, sigma, following, rng)
                if on_step is not None:
                    on_step(i - start + 1, settings.steps - start, latent_preview_png(clean) if preview else None)
            cancel.raise_if_cancelled()
            return self._decode(latent)

    # -- the graphs -------------------------------------------------------------------------------
    def _run(self, session: Any, feeds: dict[str, np.ndarray]) -> np.ndarray:
        types = {i.name: _DTYPES.get(i.type, np.float32) for i in session.get_inputs()}
        result: np.ndarray = session.run(None, {k: v.astype(types[k]) for k, v in feeds.items()},
                                         self._options)[0]
        return result.astype(np.float32)

    def _embed(self, settings: ImageSettings) -> np.ndarray:
        cond = self._run(self.text, {"input_ids": self.tokenizer(settings.prompt)})
        if settings.guidance <= 1.0:
            return cond
        uncond = self._run(self.text, {"input_ids": self.tokenizer(settings.negative_prompt)})
        return np.concatenate([uncond, cond])

    def _predict(self, sample: np.ndarray, timestep: float, hidden: np.ndarray, guidance: float) -> np.ndarray:
        batch = hidden.shape[0]
        spec = next(i for i in self.unet.get_inputs() if i.name == "timestep")
        t = np.array(timestep) if not spec.shape else np.full((1 if spec.shape[0] == 1 else batch,), timestep)
        out = self._run(self.unet, {"sample": np.concatenate([sample] * batch), "timestep": t,
                                    "encoder_hidden_states": hidden})
        if batch == 1:
            return out
        uncond, cond = out[:1], out[1:]
        return sched.f32(uncond + np.float32(guidance) * (cond - uncond))

    def _encode(self, pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self._encoder is None:
            from engines.errors import UsageError
            from engines.onnx.session import make_session

            if not self.folder.has_vae_encoder:
                raise UsageError("this ONNX model has no VAE encoder (vae_encoder/model.onnx), so it cannot "
                                 "start from an image")
            self._encoder = make_session(self.folder.graph("vae_encoder"), self._threads, stop_spinning=True)
        image = (pixels.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        params = self._run(self._encoder, {"sample": image})
        if params.shape[1] == 8:  # mean and log-variance: sample the latent here, with the seed's generator
            mean, logvar = params[:, :4], np.clip(params[:, 4:], -30.0, 20.0)
            params = mean + np.exp(0.5 * logvar) * rng.standard_normal(mean.shape, dtype=np.float32)
        return sched.f32(params * np.float32(self.folder.scaling_factor))

    def _decode(self, latent: np.ndarray) -> np.ndarray:
        image = self._run(self.decoder, {"latent_sample": latent / np.float32(self.folder.scaling_factor)})
        pixels = np.clip(image[0] / 2 + 0.5, 0.0, 1.0).transpose(1, 2, 0)
        return np.asarray((pixels * 255).round(), dtype=np.uint8)

    @contextlib.contextmanager
    def _terminate_on(self, cancel: CancelToken) -> Iterator[None]:
        """ONNX Runtime's terminate flag set when `cancel` fires, so a long UNet run ends part way."""
        from engines.onnx.session import ort_module

        options = self._options = ort_module().RunOptions()
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                if cancel.wait(0.05):
                    options.terminate = True
                    return

        watcher = threading.Thread(target=watch, name="onnx-image-cancel", daemon=True)
        watcher.start()
        try:
            yield
        except Cancelled:
            raise
        except Exception:
            if cancel.cancelled:  # ONNX Runtime's "Exiting due to terminate flag being set to true"
                raise Cancelled() from None
            raise
        finally:
            done.set()
            watcher.join()
