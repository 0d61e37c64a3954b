"""Per-reply statistics, in the units the CLI's --json and the GUI show."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    evaluated_prompt_tokens: int  # fewer than prompt_tokens when a cached prefix was reused
    generated_tokens: int
    ttft_ms: float
    tokens_per_s: float
    prompt_tokens_per_s: float
    load_ms: float
    total_ms: float
    stop_reason: str  # "eos", "stop", "length", "context", "cancelled"

    def public(self) -> dict[str, float | int]:
        """The fields promised by `candeia-cli chat --json`."""
        data = asdict(self)
        keys = ("prompt_tokens", "generated_tokens", "ttft_ms", "tokens_per_s", "prompt_tokens_per_s", "load_ms")
        return {k: data[k] for k in keys}
