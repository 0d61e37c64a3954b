"""A chat model that runs in an engine host: the same API as the in-process LlamaEngine.

Templates render here, in the app (pure Python, sandboxed); the host tokenizes, decodes and
samples. A host that dies mid-reply raises EngineCrashedError after the text that had streamed;
a reply the user stopped ends as "cancelled" with what was shown, even if the host had to be
ended because it did not stop in time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import Any

from engines.errors import EngineClosedError, EngineCrashedError
from engines.gguf.info import GGUFInfo
from engines.host import spare
from engines.host.process import Call, EngineClosed, result_of
from engines.host.repair import Repair
from engines.jobs import CancelToken
from engines.llama.engine import ChatEvent, Finished, LoadOptions, TextDelta, check_prompt, last_finished, render_prompt
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats
from engines.llama.template import ChatTemplate, Message

POLL_S = 0.05  # how often a waiting stream looks at its cancel token


class HostedChatEngine:
    """A loaded GGUF chat model in its own process. All methods may be called from any thread."""

    def __init__(self, info: GGUFInfo, options: LoadOptions, *, probe: bool, parallel: int = 0) -> None:
        """`parallel` > 0 loads the model for serving: that many replies at once (engines/llama/batching.py)."""
        self.info = info
        self.options = options
        started = time.perf_counter()
        self._host, loaded = spare.take_loaded(info.path.name, kind="serve" if parallel > 0 else "chat",
                                               path=str(info.path), options=dataclasses.asdict(options),
                                               probe=probe, parallel=parallel)
        self.load_ms = (time.perf_counter() - started) * 1000.0  # spawn and load, as the user waits for it
        self.context_size: int = loaded["context_size"]
        self.device: str = loaded["device"]
        self.huge_page_bytes: int = loaded["huge_page_bytes"]
        self.template = ChatTemplate(source=info.chat_template, bos_token=loaded["bos"], eos_token=loaded["eos"])
        self.repair: Repair | None = None  # set when the model loads only with safe settings (repair.py)
        self._active: set[CancelToken] = set()
        self.serving = parallel > 0  # its host says "accepted" (or why not) before a reply's first event

    @property
    def pid(self) -> int:
        return self._host.pid

    @property
    def closed(self) -> bool:
        return not self._host.alive

    @property
    def death(self) -> EngineCrashedError | None:
        """Why the host ended, if it did (None while it runs, or after a normal unload)."""
        death = self._host.death
        return None if death is None or isinstance(death, EngineClosed) else death

    # -- the LlamaEngine API --------------------------------------------------------------------
    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        tokens: list[int] = self._call("tokenize", text=text, add_special=add_special)
        return tokens

    def render_chat(self, messages: Sequence[Message]) -> str:
        return render_prompt(self.template, messages)[0]

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        prompt, add_special = render_prompt(self.template, messages)
        return self.tokenize(prompt, add_special=add_special)

    def stream_chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
                    cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        return self.stream_chat_tokens(self.chat_prompt_tokens(messages), sampling, cancel)

    def stream_chat_tokens(self, tokens: Sequence[int], sampling: SamplingOptions | None = None,
                           cancel: CancelToken | None = None, json_schema: str | None = None) -> Iterator[ChatEvent]:
        """`json_schema` (a JSON Schema, as text) constrains the reply to JSON that matches it; only a model
        loaded for serving takes one."""
        sampling = sampling or SamplingOptions()
        stops = tuple(sampling.stop) + self.template.stop_strings
        return self._stream(list(tokens), sampling, stops, cancel, strip_leading=True, json_schema=json_schema)

    def stream_completion(self, prompt: str | Sequence[int], sampling: SamplingOptions | None = None,
                          cancel: CancelToken | None = None, json_schema: str | None = None) -> Iterator[ChatEvent]:
        sampling = sampling or SamplingOptions()
        tokens = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        return self._stream(tokens, sampling, tuple(sampling.stop), cancel, strip_leading=False,
                            json_schema=json_schema)

    def chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
             cancel: CancelToken | None = None) -> Finished:
        return last_finished(self.stream_chat(messages, sampling, cancel))

    def busy_slots(self) -> int:
        """Replies holding a slot of a model loaded for serving."""
        busy: int = self._call("slots")
        return busy

    def reset_cache(self) -> None:
        self._call("reset")

    def cancel_all(self) -> None:
        for token in list(self._active):
            token.cancel()

    def close(self) -> None:
        """Stop any reply and end the host: all of the model's memory goes back with the process."""
        self.cancel_all()
        self._host.close()

    def __enter__(self) -> HostedChatEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- streaming ------------------------------------------------------------------------------
    def _call(self, op: str, **fields: Any) -> Any:
        if not self._host.alive and self.death is None:
            raise EngineClosedError("the model has been unloaded")
        return self._host.call(op, **fields)

    def _stream(self, tokens: list[int], sampling: SamplingOptions, stops: tuple[str, ...],
                cancel: CancelToken | None, strip_leading: bool, json_schema: str | None = None) -> Iterator[ChatEvent]:
        check_prompt(tokens, self.context_size)
        if not self._host.alive and self.death is None:
            raise EngineClosedError("the model has been unloaded")
        cancel = cancel or CancelToken()
        call = self._host.start("generate", tokens=tokens, sampling=sampling.model_dump(mode="json"),
                                stops=list(stops), strip_leading=strip_leading,
                                **({"json_schema": json_schema} if json_schema else {}))
        first = self._accepted(call, cancel) if self.serving else None
        self._active.add(cancel)
        return self._drain(call, cancel, len(tokens), first)

    def _accepted(self, call: Call, cancel: CancelToken) -> Any:
        """Wait for the host to queue the reply, so that a refusal (a token id outside the vocabulary, a
        schema llama.cpp cannot parse) raises here, before the caller has answered anything. Returns a
        message that came instead and belongs to the reply (its end, if it was cancelled at once)."""
        try:
            while True:
                if cancel.cancelled:
                    call.cancel()
                message = call.next(POLL_S)
                if message is None:
                    continue
                if isinstance(message, EngineCrashedError):
                    raise message
                if message.get("accepted"):
                    return None
                if "error" in message:
                    result_of(message)  # raises the host's error, as the same class
                return message
        except BaseException:
            self._host.finish(call)
            raise

    def _drain(self, call: Call, cancel: CancelToken, prompt_tokens: int, first: Any = None) -> Iterator[ChatEvent]:
        shown: list[str] = []
        started = time.perf_counter()
        done = False
        try:
            while True:
                if cancel.cancelled:
                    call.cancel()
                message, first = (first, None) if first is not None else (call.next(POLL_S), None)
                if message is None or (isinstance(message, dict) and message.get("accepted")):
                    continue
                if isinstance(message, EngineCrashedError):
                    if cancel.cancelled:  # ended because it would not stop: the user's Stop still wins
                        done = True
                        yield Finished("".join(shown), _cancelled_stats(prompt_tokens, started, self.load_ms))
                        return
                    raise message
                if "text" in message:
                    if not cancel.cancelled:  # after Stop nothing more appears
                        shown.append(message["text"])
                        yield TextDelta(message["text"])
                    continue
                finished = result_of(message)
                stats = GenerationStats(**{**finished["stats"], "load_ms": self.load_ms})
                done = True
                text = "".join(shown) if cancel.cancelled else finished["text"]
                yield Finished(text, stats)
                return
        finally:
            if not done:  # the consumer walked away, or the host died: stop the reply within a token
                call.cancel()
            self._host.finish(call)
            self._active.discard(cancel)


def _cancelled_stats(prompt_tokens: int, started: float, load_ms: float) -> GenerationStats:
    total = (time.perf_counter() - started) * 1000.0
    return GenerationStats(prompt_tokens=prompt_tokens, evaluated_prompt_tokens=0, generated_tokens=0,
                           ttft_ms=total, tokens_per_s=0.0, prompt_tokens_per_s=0.0, load_ms=load_ms,
                           total_ms=total, stop_reason="cancelled")
