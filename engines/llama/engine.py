"""The llama.cpp engine: load a validated GGUF on its own thread, stream chat replies, unload.

Loading is engines/llama/loader.py; one reply's work on the owner thread is
engines/llama/generation.py (text reaches the consumer in batches, EMIT_INTERVAL_S there).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.errors import EngineClosedError, GenerationError
from engines.gguf.info import GGUFInfo, read_gguf
from engines.jobs import CancelToken
from engines.llama.decoder import NativeDecoder
from engines.llama.events import ChatEvent as ChatEvent
from engines.llama.events import Finished as Finished
from engines.llama.events import TextDelta as TextDelta
from engines.llama.events import last_finished as last_finished
from engines.llama.generation import generate
from engines.llama.loader import load_llama
from engines.llama.native import close_llama
from engines.llama.owner import OwnerThread
from engines.llama.sampling import SamplingOptions
from engines.llama.template import ChatTemplate, Message, validate_messages


@dataclass(frozen=True)
class LoadOptions:
    context_size: int = 4096
    threads: int | None = None
    gpu_layers: int = 0
    # llama.cpp's own defaults (llama-bench, llama-cli): prompts go in 2048-token batches that
    # llama.cpp splits into 512-token micro-batches, and flash attention is on where it is supported.
    batch_size: int = 2048
    micro_batch_size: int = 512
    flash_attention: bool = True
    # llama.cpp's extra CPU buffer types (repacked weights, AMX): off is the safe setting for CPUs whose
    # kernels crash (engines/host/repair.py)
    extra_buffers: bool = True


_END = object()


def render_prompt(template: ChatTemplate, messages: Sequence[Message]) -> tuple[str, bool]:
    """The chat prompt, and whether tokenizing it adds BOS: templates that write the BOS text
    themselves must not get a second one."""
    prompt = template.render(validate_messages(messages), add_generation_prompt=True)
    return prompt, not (template.bos_token and prompt.startswith(template.bos_token))


def check_prompt(tokens: Sequence[int], context_size: int) -> None:
    if not tokens:
        raise GenerationError("the prompt is empty")
    if len(tokens) >= context_size:
        raise GenerationError(
            f"the prompt is {len(tokens)} tokens long but the context holds {context_size}; "
            "shorten the conversation or load the model with a larger context"
        )


class LlamaEngine:
    """A loaded GGUF model. All methods may be called from any thread."""

    def __init__(self, info: GGUFInfo, options: LoadOptions) -> None:
        self.info = info
        self.options = options
        trained = info.context_length or options.context_size
        self.context_size = max(16, min(options.context_size, trained))
        self._owner = OwnerThread(name=f"llama:{info.path.name}")
        self._active: set[CancelToken] = set()
        self._active_lock = threading.Lock()
        started = time.perf_counter()
        try:
            loaded = self._owner.call(lambda: load_llama(info.path, options, self.context_size))
            self._llm, advice = loaded
        except BaseException:
            self._owner.shutdown()
            raise
        self.load_ms = (time.perf_counter() - started) * 1000.0
        # which parts of the weights' memory were advised to use huge pages (hugepages.py)
        self.huge_page_bytes = advice.advised_bytes if advice is not None else 0
        self.huge_page_regions = tuple(advice.regions) if advice is not None else ()
        self.template = self._owner.call(self._make_template)
        self._native: NativeDecoder | None = self._owner.call(lambda: NativeDecoder(self._llm))

    @classmethod
    def load(cls, path: str | Path, options: LoadOptions | None = None) -> LlamaEngine:
        """Validate the file's header and metadata, then load it (raises CandeiaError subclasses)."""
        return cls(read_gguf(path), options or LoadOptions())

    # -- set-up on the owner thread --------------------------------------------------------------
    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        text = self._llm.detokenize([token], special=True)
        return bytes(text).decode("utf-8", errors="replace")

    def _make_template(self) -> ChatTemplate:
        return ChatTemplate(
            source=self.info.chat_template,
            bos_token=self._token_text(self._llm.token_bos()),
            eos_token=self._token_text(self._llm.token_eos()),
        )

    # -- public API ------------------------------------------------------------------------------
    @property
    def decoder(self) -> NativeDecoder | None:
        """The per-token decoder (the engine host hooks it for its test-only fault injection)."""
        return self._native

    @property
    def closed(self) -> bool:
        return not self._owner.alive

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        return self._owner.call(lambda: list(self._llm.tokenize(text.encode("utf-8"), add_special, True)))

    def render_chat(self, messages: Sequence[Message]) -> str:
        return render_prompt(self.template, messages)[0]

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        prompt, add_special = render_prompt(self.template, messages)
        return self.tokenize(prompt, add_special=add_special)

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: SamplingOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream the assistant's reply to `messages`: TextDelta events, then one Finished."""
        return self.stream_chat_tokens(self.chat_prompt_tokens(messages), sampling, cancel)

    def stream_chat_tokens(
        self,
        tokens: Sequence[int],
        sampling: SamplingOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream the assistant's reply to a chat prompt already rendered and tokenized (engines/chat/fit.py)."""
        sampling = sampling or SamplingOptions()
        stops = tuple(sampling.stop) + self.template.stop_strings
        return self._stream(list(tokens), sampling, stops, cancel, strip_leading=True)

    def stream_completion(
        self,
        prompt: str | Sequence[int],
        sampling: SamplingOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream a plain continuation of `prompt` (text, or token ids used as they are)."""
        sampling = sampling or SamplingOptions()
        tokens = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        return self._stream(tokens, sampling, tuple(sampling.stop), cancel, strip_leading=False)

    def stream_tokens(
        self,
        tokens: Sequence[int],
        sampling: SamplingOptions,
        stops: Sequence[str],
        cancel: CancelToken | None = None,
        *,
        strip_leading: bool,
    ) -> Iterator[ChatEvent]:
        """Stream from a prompt already rendered and tokenized (what an engine host runs for its client)."""
        return self._stream(list(tokens), sampling, tuple(stops), cancel, strip_leading=strip_leading)

    def chat(
        self,
        messages: Sequence[Message],
        sampling: SamplingOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Finished:
        return last_finished(self.stream_chat(messages, sampling, cancel))

    def reset_cache(self) -> None:
        """Forget the cached prompt (the next reply evaluates its whole prompt)."""
        self._owner.call(lambda: self._native.reset() if self._native else None)

    def cancel_all(self) -> None:
        with self._active_lock:
            for token in self._active:
                token.cancel()

    def close(self) -> None:
        """Stop any reply within a token, free the model's memory and end its thread."""
        if self.closed:
            return
        self.cancel_all()

        def _free() -> None:
            self._native = None
            llm, self._llm = self._llm, None
            close_llama(llm)

        self._owner.shutdown(final=_free)

    def __enter__(self) -> LlamaEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- generation ------------------------------------------------------------------------------
    def _stream(
        self,
        tokens: list[int],
        sampling: SamplingOptions,
        stops: tuple[str, ...],
        cancel: CancelToken | None,
        strip_leading: bool,
    ) -> Iterator[ChatEvent]:
        check_prompt(tokens, self.context_size)
        cancel = cancel or CancelToken()
        events: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def job() -> None:
            try:
                native = self._native
                if native is None:
                    raise EngineClosedError("the model has been unloaded")
                generate(native, tokens, sampling, stops, cancel, events.put, strip_leading=strip_leading,
                         context_size=self.context_size, load_ms=self.load_ms)
            finally:
                events.put(_END)

        with self._active_lock:
            self._active.add(cancel)
        try:
            future = self._owner.submit(job)
        except EngineClosedError:
            self._forget(cancel)
            raise
        return self._drain(events, future, cancel)

    def _forget(self, cancel: CancelToken) -> None:
        with self._active_lock:
            self._active.discard(cancel)

    def _drain(self, events: queue.SimpleQueue[Any], future: Any, cancel: CancelToken) -> Iterator[ChatEvent]:
        finished = False
        shown: list[str] = []
        try:
            while True:
                event = events.get()
                if event is _END:
                    break
                if cancel.cancelled:
                    # After Stop nothing more appears: text already queued is dropped, and the
                    # final event reports exactly what the consumer showed.
                    if isinstance(event, Finished):
                        yield Finished("".join(shown), event.stats)
                    continue
                if isinstance(event, TextDelta):
                    shown.append(event.text)
                yield event
            future.result()
            finished = True
        finally:
            if not finished:  # the consumer walked away: stop the model within a token
                cancel.cancel()
                future.exception()
            self._forget(cancel)
