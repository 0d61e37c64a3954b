"""Sampler names: Candeia's short ids, stable-diffusion.cpp's method and scheduler, AUTOMATIC1111's label.

The short id is what ImageSettings.sampler, the CLI's --sampler and the Create page carry; the label
is what a PNG `parameters` chunk says ("Sampler: DPM++ 2M Karras"), so images made elsewhere can be
re-made here and ours elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.errors import UsageError


@dataclass(frozen=True)
class Sampler:
    id: str
    method: str  # stable-diffusion.cpp's sample_method
    scheduler: str  # stable-diffusion.cpp's scheduler
    label: str  # AUTOMATIC1111's name


SAMPLERS: dict[str, Sampler] = {s.id: s for s in (
    Sampler("euler_a", "euler_a", "discrete", "Euler a"),
    Sampler("euler", "euler", "discrete", "Euler"),
    Sampler("heun", "heun", "discrete", "Heun"),
    Sampler("dpm2", "dpm2", "discrete", "DPM2"),
    Sampler("dpm++2s_a", "dpm++2s_a", "discrete", "DPM++ 2S a"),
    Sampler("dpm++2m", "dpm++2m", "discrete", "DPM++ 2M"),
    Sampler("dpm++2m_karras", "dpm++2m", "karras", "DPM++ 2M Karras"),
    Sampler("euler_a_karras", "euler_a", "karras", "Euler a Karras"),
    Sampler("ddim", "ddim_trailing", "discrete", "DDIM"),
    Sampler("lcm", "lcm", "discrete", "LCM"),
    Sampler("tcd", "tcd", "discrete", "TCD"),
)}


def sampler(name: str) -> Sampler:
    """A sampler by id or by AUTOMATIC1111 label, any case; UsageError naming the choices otherwise."""
    key = name.strip().lower()
    found = SAMPLERS.get(key) or next((s for s in SAMPLERS.values() if s.label.lower() == key), None)
    if found is None:
        raise UsageError(f"unknown sampler '{name}'; choose one of: {', '.join(SAMPLERS)}")
    return found
