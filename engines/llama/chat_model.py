"""What callers need from a loaded chat model, wherever it runs (in an engine host, or in-process)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from engines.gguf.info import GGUFInfo
from engines.jobs import CancelToken
from engines.llama.engine import ChatEvent, Finished
from engines.llama.sampling import SamplingOptions
from engines.llama.template import ChatTemplate, Message


class ChatModel(Protocol):
    info: GGUFInfo
    context_size: int
    load_ms: float
    template: ChatTemplate

    @property
    def closed(self) -> bool: ...

    def tokenize(self, text: str, add_special: bool = True) -> list[int]: ...

    def render_chat(self, messages: Sequence[Message]) -> str: ...

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]: ...

    def stream_chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
                    cancel: CancelToken | None = None) -> Iterator[ChatEvent]: ...

    def stream_chat_tokens(self, tokens: Sequence[int], sampling: SamplingOptions | None = None,
                           cancel: CancelToken | None = None) -> Iterator[ChatEvent]: ...

    def stream_completion(self, prompt: str | Sequence[int], sampling: SamplingOptions | None = None,
                          cancel: CancelToken | None = None) -> Iterator[ChatEvent]: ...

    def chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
             cancel: CancelToken | None = None) -> Finished: ...

    def reset_cache(self) -> None: ...

    def cancel_all(self) -> None: ...

    def close(self) -> None: ...
