"""Euler and Euler-ancestral sampling in numpy, as diffusers' EulerDiscreteScheduler and
EulerAncestralDiscreteScheduler compute them (discrete sigmas, linear interpolation, final sigma 0).

The sigma schedule comes from the model's scheduler/scheduler_config.json: beta_start, beta_end,
beta_schedule (scaled_linear or linear), num_train_timesteps, timestep_spacing (leading, trailing,
linspace), steps_offset and prediction_type (epsilon or v_prediction). The arithmetic follows
diffusers' float32/float64 choices, so the parity test against diffusers holds to float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engines.errors import InvalidModelFileError, UsageError

SAMPLERS = ("euler_a", "euler")
_SPACINGS = ("leading", "trailing", "linspace")


@dataclass(frozen=True)
class ScheduleConfig:
    train_steps: int = 1000
    beta_start: float = 0.00085
    beta_end: float = 0.012
    beta_schedule: str = "scaled_linear"
    spacing: str = "leading"
    steps_offset: int = 1
    prediction: str = "epsilon"

    @classmethod
    def from_json(cls, data: dict[str, Any], source: Any) -> ScheduleConfig:
        """InvalidModelFileError naming `source` for a schedule this engine cannot run."""
        config = cls(train_steps=int(data.get("num_train_timesteps", 1000)),
                     beta_start=float(data.get("beta_start", 0.00085)), beta_end=float(data.get("beta_end", 0.012)),
                     beta_schedule=str(data.get("beta_schedule", "scaled_linear")),
                     spacing=str(data.get("timestep_spacing", "leading")),
                     steps_offset=int(data.get("steps_offset", 0) or 0),
                     prediction=str(data.get("prediction_type", "epsilon")))
        if config.beta_schedule not in ("scaled_linear", "linear"):
            raise InvalidModelFileError(source, f"has a beta schedule Candeia cannot run ({config.beta_schedule})")
        if config.spacing not in _SPACINGS:
            raise InvalidModelFileError(source, f"has a timestep spacing Candeia cannot run ({config.spacing})")
        if config.prediction not in ("epsilon", "v_prediction"):
            raise InvalidModelFileError(source, f"predicts '{config.prediction}', which Candeia cannot run")
        if not 1 <= config.train_steps <= 100_000:
            raise InvalidModelFileError(source, f"has {config.train_steps} training timesteps")
        return config


@dataclass(frozen=True)
class Schedule:
    timesteps: np.ndarray  # float32, what the UNet is given, one per step
    sigmas: np.ndarray  # float32, one more than timesteps (the last is 0)
    init_sigma: float  # the noise scale a text-to-image run starts from


def check_sampler(name: str) -> str:
    if name not in SAMPLERS:
        raise UsageError(f"the ONNX image engine runs the samplers {' and '.join(SAMPLERS)}, not '{name}'")
    return name


def make_schedule(config: ScheduleConfig, steps: int) -> Schedule:
    n = config.train_steps
    if config.beta_schedule == "scaled_linear":
        betas = np.linspace(config.beta_start ** 0.5, config.beta_end ** 0.5, n, dtype=np.float32) ** 2
    else:
        betas = np.linspace(config.beta_start, config.beta_end, n, dtype=np.float32)
    alphas_cumprod = np.cumprod(1.0 - betas, dtype=np.float32)
    if config.spacing == "linspace":
        timesteps = np.linspace(0, n - 1, steps, dtype=np.float32)[::-1].copy()
    elif config.spacing == "leading":
        ratio = n // steps
        timesteps = (np.arange(0, steps) * ratio).round()[::-1].copy().astype(np.float32) + config.steps_offset
    else:
        timesteps = np.arange(n, 0, -n / steps).round().copy().astype(np.float32) - 1
    all_sigmas = np.array(((1 - alphas_cumprod) / alphas_cumprod) ** 0.5)
    sigmas = np.interp(timesteps, np.arange(0, len(all_sigmas)), all_sigmas)
    sigmas = np.concatenate([sigmas, [0.0]]).astype(np.float32)
    peak = float(sigmas.max())
    init = peak if config.spacing in ("linspace", "trailing") else (peak ** 2 + 1) ** 0.5
    return Schedule(timesteps=timesteps, sigmas=sigmas, init_sigma=init)


def f32(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def scale_input(sample: np.ndarray, sigma: float) -> np.ndarray:
    return f32(sample / ((sigma ** 2 + 1) ** 0.5))


def denoised(sample: np.ndarray, model_output: np.ndarray, sigma: float, prediction: str) -> np.ndarray:
    """The model's estimate of the clean latent at this step (also what the preview shows)."""
    if prediction == "v_prediction":
        return f32(model_output * (-sigma / (sigma ** 2 + 1) ** 0.5) + sample / (sigma ** 2 + 1))
    return f32(sample - sigma * model_output)


def step(sampler: str, sample: np.ndarray, clean: np.ndarray, sigma: float, following: float,
         rng: np.random.Generator) -> np.ndarray:
    """One Euler (or Euler-ancestral) step from `sigma` to `following`."""
    derivative = (sample - clean) / sigma
    if sampler == "euler":
        return f32(sample + derivative * (following - sigma))
    up = (following ** 2 * (sigma ** 2 - following ** 2) / sigma ** 2) ** 0.5
    down = (following ** 2 - up ** 2) ** 0.5
    moved = sample + derivative * (down - sigma)
    return f32(moved + rng.standard_normal(sample.shape, dtype=np.float32) * up)
