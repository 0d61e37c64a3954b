"""The OpenAI response objects: chat completions, text completions, their stream chunks, SSE framing."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from engines.llama.stats import GenerationStats

FINISH = {"eos": "stop", "stop": "stop", "cancelled": "stop", "length": "length", "context": "length"}


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


def usage(stats: GenerationStats) -> dict[str, Any]:
    """OpenAI's usage; `cached_tokens`: prompt tokens whose keys and values a slot had kept (not decoded)."""
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.generated_tokens,
            "total_tokens": stats.prompt_tokens + stats.generated_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens(stats)}}


def cached_tokens(stats: GenerationStats) -> int:
    return max(0, stats.prompt_tokens - stats.evaluated_prompt_tokens)


def total_usage(replies: list[GenerationStats]) -> dict[str, Any]:
    """The usage of several prompts' replies (/v1/completions with a list of prompts)."""
    prompt, generated = sum(s.prompt_tokens for s in replies), sum(s.generated_tokens for s in replies)
    return {"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated,
            "prompt_tokens_details": {"cached_tokens": sum(cached_tokens(s) for s in replies)}}


def sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


class Envelope:
    """What every object of one response shares: id, creation time, model, object type."""

    def __init__(self, prefix: str, kind: str, model: str) -> None:
        self.id = new_id(prefix)
        self.created = int(time.time())
        self.kind = kind
        self.model = model

    def wrap(self, choices: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "object": self.kind, "created": self.created, "model": self.model,
                                "system_fingerprint": "candeia", "choices": choices}
        body.update(extra or {})
        return body


def chat_message(text: str, call: dict[str, Any] | None) -> dict[str, Any]:
    if call is not None:
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    return {"role": "assistant", "content": text}


def chat_finish(stats: GenerationStats, call: dict[str, Any] | None) -> str:
    return "tool_calls" if call is not None else FINISH.get(stats.stop_reason, "stop")


def chat_delta(envelope: Envelope, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return envelope.wrap([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])


def tool_delta(call: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": [{"index": 0, **call}]}


def text_choice(text: str, finish: str | None) -> dict[str, Any]:
    return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
