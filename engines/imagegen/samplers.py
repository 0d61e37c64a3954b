"""Sampler names: stable-diffusion.cpp's sample methods, which ImageSettings.sampler, `--sampler` and
the Create page carry. AUTOMATIC1111 and ComfyUI labels ("DPM++ 2M", "euler_ancestral") are accepted
too, through the PNG reader's table (engines/imagegen/png_params.py), so images made elsewhere re-make.

The scheduler (the sigma schedule) is stable-diffusion.cpp's default for the model: discrete for SD
1.x/2.x/XL, which is what AUTOMATIC1111 uses unless a label says Karras.
"""

from __future__ import annotations

from engines.errors import UsageError
from engines.imagegen.png_params import sampler_name

SAMPLERS = ("euler_a", "euler", "heun", "dpm2", "dpm++2s_a", "dpm++2m", "dpm++2mv2", "ipndm", "ipndm_v", "lcm",
            "ddim_trailing", "tcd")
SCHEDULER = "discrete"


def sampler(name: str) -> str:
    """stable-diffusion.cpp's name for a sampler id or label, any case; UsageError naming the choices otherwise."""
    key = name.strip().lower()
    found = key if key in SAMPLERS else sampler_name(name).lower()
    if found not in SAMPLERS:
        raise UsageError(f"unknown sampler '{name}'; choose one of: {', '.join(SAMPLERS)}")
    return found
