"""A model on another computer (an OpenAI-compatible endpoint) with the chat model API of a local one.

Chat and LLM translation use it like a loaded GGUF. What differs: the server holds the tokenizer and
the chat template, so the context budget here is an estimate (about three bytes of UTF-8 per token,
on the safe side; the server still enforces its own limit), and replies are asked for by messages,
never by token ids (ChatSession sends the fitted messages: `takes_messages`). Sampling maps onto the
OpenAI fields, plus the llama.cpp ones (top_k, min_p, repeat_penalty) that llama-server, Ollama's
OpenAI layer and vLLM accept. A dropped connection raises RemoteDroppedError after the text that
arrived and marks the model dead (`death`), so the GUI's Retry opens it again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engines.download.offline import is_offline
from engines.errors import CandeiaError, EngineClosedError, GenerationError
from engines.gguf.info import GGUFInfo
from engines.jobs import CancelToken
from engines.llama.engine import ChatEvent, Finished, LoadOptions, TextDelta, last_finished
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats
from engines.llama.template import ChatTemplate, Message
from engines.remote.client import OpenAIClient, RemoteDroppedError, StreamEnd
from engines.remote.keys import load_key
from engines.settings import Settings
from engines.store.remotes import RemoteEndpoint, RemoteModel

BYTES_PER_TOKEN = 3
_STOP_REASONS = {"stop": "eos", "length": "length", "cancelled": "cancelled"}


def client_for(endpoint: RemoteEndpoint, settings: Settings) -> OpenAIClient:
    """A client with the endpoint's key (from its environment variable, or the keyring / key file)."""
    key: str | None = None
    if endpoint.key_env:
        key = os.environ.get(endpoint.key_env) or None
        if key is None:
            raise CandeiaError(f"the environment variable {endpoint.key_env}, which holds the API key of "
                             f"{endpoint.name}, is not set")
    elif endpoint.stored_key:
        key = load_key(endpoint.name)
    return OpenAIClient(endpoint.url, api_key=key, offline=is_offline(settings), confirmed=endpoint.confirmed,
                        ca_file=endpoint.ca_file)


class RemoteChatModel:
    """One model of one endpoint. Opening it sends nothing; each reply is one request."""

    takes_messages = True  # ChatSession sends messages, not token ids
    repair = None  # nothing to repair: no llama.cpp runs here

    def __init__(self, endpoint: RemoteEndpoint, model: RemoteModel, client: OpenAIClient,
                 options: LoadOptions, offline: Callable[[], bool] | None = None) -> None:
        self.endpoint = endpoint
        self._offline = offline  # read before each request: offline mode may be turned on while it is open
        self.model_id = model.id
        self.client = client
        self.options = options
        self.context_size = min(options.context_size, model.context_size or options.context_size)
        self.info = GGUFInfo(path=Path(f"{model.id} ({endpoint.name})"), file_size=0, version=0,
                             architecture="remote", tensor_count=0, kv_count=0, name=model.id,
                             context_length=model.context_size)
        self.template = ChatTemplate(source=None)  # for estimating turn sizes only; the server renders
        self.load_ms = 0.0
        self.device = f"remote ({endpoint.name})"
        self.death: RemoteDroppedError | None = None
        self._closed = False
        self._active: set[CancelToken] = set()

    @property
    def closed(self) -> bool:
        return self._closed or self.death is not None

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        """Stand-in tokens: one per BYTES_PER_TOKEN bytes, so budgets are estimates on the safe side."""
        return list(range(-(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)))

    def render_chat(self, messages: Sequence[Message]) -> str:
        return self.template.render(messages)

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        return self.tokenize(self.render_chat(messages))

    def stream_chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
                    cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        if self._closed:
            raise EngineClosedError("the model has been unloaded")
        return self._stream(list(messages), sampling or SamplingOptions(), cancel or CancelToken())

    def stream_chat_tokens(self, tokens: Sequence[int], sampling: SamplingOptions | None = None,
                           cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        raise GenerationError("a model on another computer takes messages, not token ids")

    def stream_completion(self, prompt: str | Sequence[int], sampling: SamplingOptions | None = None,
                          cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        text = prompt if isinstance(prompt, str) else ""
        return self.stream_chat([Message(role="user", content=text)], sampling, cancel)

    def chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
             cancel: CancelToken | None = None) -> Finished:
        return last_finished(self.stream_chat(messages, sampling, cancel))

    def reset_cache(self) -> None:
        """Nothing is cached here; the server keeps its own prompt cache."""

    def cancel_all(self) -> None:
        for token in list(self._active):
            token.cancel()

    def close(self) -> None:
        self.cancel_all()
        self._closed = True

    def __enter__(self) -> RemoteChatModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def body(self, messages: list[Message], sampling: SamplingOptions) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id, "messages": [dict(m) for m in messages],
            "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": sampling.top_k,
            "min_p": sampling.min_p, "repeat_penalty": sampling.repeat_penalty,
            "stream_options": {"include_usage": True},
        }
        if sampling.max_tokens is not None:
            body["max_tokens"] = sampling.max_tokens
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        return body

    def _stream(self, messages: list[Message], sampling: SamplingOptions, cancel: CancelToken) -> Iterator[ChatEvent]:
        started = time.perf_counter()
        first: float | None = None
        shown: list[str] = []
        if self._offline is not None:
            self.client.offline = self._offline()
        self._active.add(cancel)
        try:
            for event in self.client.stream_chat(self.body(messages, sampling), cancel):
                if isinstance(event, StreamEnd):
                    stats = self._stats(event, messages, len(shown), started, first)
                    yield Finished("".join(shown), stats)
                    return
                first = first if first is not None else time.perf_counter()
                shown.append(event)
                yield TextDelta(event)
        except RemoteDroppedError as exc:
            self.death = exc
            raise
        finally:
            self._active.discard(cancel)
        raise GenerationError("the reply ended without a result")

    def _stats(self, end: StreamEnd, messages: list[Message], pieces: int, started: float,
               first: float | None) -> GenerationStats:
        total = (time.perf_counter() - started) * 1000.0
        ttft = ((first or time.perf_counter()) - started) * 1000.0
        usage = end.usage
        prompt = int(usage.get("prompt_tokens") or len(self.chat_prompt_tokens(messages)))
        generated = int(usage.get("completion_tokens") or pieces)
        seconds = max(1e-6, (total - ttft) / 1000.0)
        timings = usage.get("timings") or {}
        return GenerationStats(
            prompt_tokens=prompt, evaluated_prompt_tokens=int(timings.get("prompt_n", prompt)),
            generated_tokens=generated, ttft_ms=ttft,
            # as the local engine counts it: the tokens after the first, over the time after the first
            tokens_per_s=float(timings.get("predicted_per_second") or
                               ((generated - 1) / seconds if generated > 1 else 0.0)),
            prompt_tokens_per_s=float(timings.get("prompt_per_second") or 0.0), load_ms=0.0, total_ms=total,
            stop_reason=_STOP_REASONS.get(end.finish_reason, end.finish_reason))
