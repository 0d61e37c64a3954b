"""Fit a conversation into a model's context once per send, tokenizing each old turn once.

The policy is engines/chat/context.py's: keep the system prompt and the newest turns, drop the
oldest whole turns until the prompt plus room for the reply fits, never drop the newest turn.

How it stays cheap: the newest turn is rendered and tokenized with the system prompt (it is always
kept); each older turn's cost is the number of tokens it adds in front of a fixed probe message,
counted once and cached for the model's life (a conversation grows at its end, so old turns keep
their cost from send to send). Walking back from the newest turn, the first turn that overruns the
budget is where the cut goes, and turns older than that are never rendered or tokenized.

How it stays exact: the chosen prompt is always rendered and tokenized whole, and those tokens are
what the model gets. Chat templates almost always render whole turns independently, so the
estimate is exact; where it is not (a template that folds the system prompt into the first user
message, a tokenizer that merges across a turn's edge), the neighbouring cuts are checked whole
until the cut is the fewest turns that fit. A template that refuses the probe falls back to
bisection over whole renders.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from engines.chat.context import fit_to_context, reply_room, split_turns, too_long
from engines.errors import CandeiaError
from engines.llama.chat_model import ChatModel
from engines.llama.template import Message

PROBE: Message = {"role": "user", "content": "."}
CACHE_TURNS = 4096  # turn costs remembered (a few conversations' worth)

TurnKey = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ChatPrompt:
    messages: list[Message]
    tokens: list[int]  # exactly what the model is given
    dropped: int  # messages left out, oldest first
    context_size: int
    reply_room: int

    @property
    def prompt_tokens(self) -> int:
        return len(self.tokens)


def _key(messages: Sequence[Message]) -> TurnKey:
    return tuple((m["role"], m["content"]) for m in messages)


class TurnCosts:
    """Tokens each turn adds to a prompt, counted once per (system prompt, turn) and kept."""

    def __init__(self, model: ChatModel, limit: int = CACHE_TURNS) -> None:
        self._model = model
        self._limit = limit
        self._lock = threading.Lock()
        self._costs: OrderedDict[tuple[TurnKey, TurnKey], int] = OrderedDict()
        self._bases: dict[TurnKey, int] = {}
        self.counted = 0  # renders tokenized so far (tests check that turns are counted once)

    def _count(self, messages: list[Message]) -> int:
        text = self._model.template.render(messages, add_generation_prompt=False)
        self.counted += 1
        return len(self._model.tokenize(text, add_special=False))

    def cost(self, system: list[Message], turn: list[Message]) -> int:
        key = (_key(system), _key(turn))
        with self._lock:
            known = self._costs.get(key)
            if known is not None:
                self._costs.move_to_end(key)
                return known
            base = self._bases.get(key[0])
            if base is None:
                base = self._bases[key[0]] = self._count([*system, PROBE])
            cost = self._count([*system, *turn, PROBE]) - base
            self._costs[key] = cost
            if len(self._costs) > self._limit:
                self._costs.popitem(last=False)
            return cost


class _Fitting:
    """One send's search: exact prompts by cut (turns skipped), each rendered and tokenized at most once."""

    def __init__(self, model: ChatModel, system: list[Message], turns: list[list[Message]], budget: int) -> None:
        self.model = model
        self.system = system
        self.turns = turns
        self.budget = budget
        self._exact: dict[int, list[int]] = {}

    def kept(self, skip: int) -> list[Message]:
        return self.system + [m for turn in self.turns[skip:] for m in turn]

    def tokens(self, skip: int) -> list[int]:
        if skip not in self._exact:
            self._exact[skip] = self.model.chat_prompt_tokens(self.kept(skip))
        return self._exact[skip]

    def fits(self, skip: int) -> bool:
        return len(self.tokens(skip)) <= self.budget

    def estimate(self, costs: TurnCosts) -> tuple[int, int] | None:
        """The cut the turn costs point to and the prompt size they predict; None if the template
        refused the probe."""
        last = len(self.turns) - 1
        total = len(self.tokens(last))
        try:
            for index in range(last - 1, -1, -1):
                cost = costs.cost(self.system, self.turns[index])
                if total + cost > self.budget:
                    return index + 1, total
                total += cost
        except CandeiaError:
            return None
        return 0, total

    def settle(self, skip: int, predicted: int) -> int:
        """The fewest turns to drop, starting from the estimate `skip`."""
        raised = False
        while not self.fits(skip):
            skip += 1
            raised = True
        if not raised and len(self.tokens(skip)) != predicted:
            while skip > 0 and self.fits(skip - 1):
                skip -= 1
        return skip


def fit_prompt(model: ChatModel, messages: Sequence[Message], max_tokens: int | None,
               costs: TurnCosts | None = None) -> ChatPrompt:
    """The messages to send and their exact tokens. Raises GenerationError if the newest turn alone
    does not fit."""
    context_size = model.context_size
    room = reply_room(context_size, max_tokens)
    system, turns = split_turns(messages)
    fitting = _Fitting(model, system, turns, context_size - room)
    last = max(0, len(turns) - 1)
    if not fitting.fits(last):
        raise too_long(len(fitting.tokens(last)), context_size, room, alone=last == 0)
    estimate = fitting.estimate(costs or TurnCosts(model)) if last > 0 else (0, len(fitting.tokens(0)))
    skip = _bisect(fitting, context_size, max_tokens) if estimate is None else fitting.settle(*estimate)
    dropped = sum(len(turn) for turn in turns[:skip])
    return ChatPrompt(fitting.kept(skip), fitting.tokens(skip), dropped, context_size, room)


def _bisect(fitting: _Fitting, context_size: int, max_tokens: int | None) -> int:
    """The fewest turns to drop by whole renders (context.py's search), for templates that refuse the probe."""
    sizes = [len(turn) for turn in fitting.turns]
    skip_of = {len(fitting.system) + sum(sizes[skip:]): skip for skip in range(len(sizes))}
    fitted = fit_to_context(fitting.kept(0), lambda kept: len(fitting.tokens(skip_of[len(kept)])),
                            context_size, max_tokens)
    return skip_of[len(fitted.messages)]
