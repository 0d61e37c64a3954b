"""A chat session over a loaded ChatModel: fit the conversation, report the budget, stream the reply.

The CLI's interactive chat and the GUI's model worker both send through it, so a long chat drops
its oldest turns the same way everywhere. It adds no batching of its own: the engine already hands
text over in batches (engines/llama/engine.py, EMIT_INTERVAL_S), and each batch is passed on as it
comes. It keeps no history (the caller owns the conversation); it keeps what each turn costs in
tokens, so a send tokenizes only what is new.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engines.chat.fit import ChatPrompt, TurnCosts, fit_prompt
from engines.errors import GenerationError
from engines.jobs import CancelToken
from engines.llama.chat_model import ChatModel
from engines.llama.engine import TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats
from engines.llama.template import Message


@dataclass(frozen=True)
class Budget:
    used: int  # tokens of the prompt (and, after a reply, of the reply too)
    context_size: int
    dropped: int  # messages left out, oldest first; -1: the newest message alone does not fit

    @property
    def room(self) -> int:
        """Tokens still free in the context."""
        return max(0, self.context_size - self.used)


@dataclass(frozen=True)
class Reply:
    text: str
    stats: GenerationStats
    budget: Budget | None  # None for a knowledge-base answer (its prompt is the core's, not the chat's)


SessionEvent = Budget | TextDelta | Reply


class ChatSession:
    """Sends conversations to one loaded model. Use it from one thread at a time."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.costs = TurnCosts(model)

    def fit(self, messages: Sequence[Message], max_tokens: int | None) -> ChatPrompt:
        """The messages that fit with room for the reply, and their exact tokens (GenerationError if
        the newest message alone does not fit)."""
        return fit_prompt(self.model, messages, max_tokens, self.costs)

    def measure(self, messages: Sequence[Message], max_tokens: int | None) -> Budget | None:
        """The budget the next reply would start with; dropped is -1 if the newest message does not fit."""
        if not messages:
            return None
        try:
            prompt = self.fit(messages, max_tokens)
        except GenerationError:
            return Budget(len(self.model.chat_prompt_tokens(messages)), self.model.context_size, -1)
        return Budget(prompt.prompt_tokens, prompt.context_size, prompt.dropped)

    def send(self, messages: Sequence[Message], sampling: SamplingOptions,
             cancel: CancelToken | None = None) -> Iterator[SessionEvent]:
        """Fit `messages`, then yield the Budget, the reply's TextDelta batches and last the Reply.

        Stopping (`cancel`) ends the reply as "cancelled" with the text shown so far. If the model's
        process dies, EngineCrashedError is raised after the text that had streamed."""
        prompt = self.fit(messages, sampling.max_tokens)
        yield Budget(prompt.prompt_tokens, prompt.context_size, prompt.dropped)
        if getattr(self.model, "takes_messages", False):  # a remote model: its server holds the tokenizer
            stream = self.model.stream_chat(prompt.messages, sampling, cancel)
        else:
            stream = self.model.stream_chat_tokens(prompt.tokens, sampling, cancel)
        for event in stream:
            if isinstance(event, TextDelta):
                yield event
                continue
            used = event.stats.prompt_tokens + event.stats.generated_tokens
            yield Reply(event.text, event.stats, Budget(used, prompt.context_size, prompt.dropped))
            return
        raise GenerationError("the reply ended without a result")
