"""Sampling options for text generation, validated once so the hot loop never checks them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SamplingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(default=0.7, ge=0.0, le=5.0, description="0 picks the likeliest token")
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    top_k: int = Field(default=40, ge=0, description="0 disables top-k")
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(default=1.1, ge=0.5, le=3.0)
    seed: int | None = Field(default=None, ge=0, lt=2**32, description="None draws a fresh seed")
    max_tokens: int | None = Field(default=512, ge=0, description="None generates until the context is full")
    stop: tuple[str, ...] = ()
    ignore_eos: bool = Field(default=False, description="Keep going past end-of-text (benchmarks)")
