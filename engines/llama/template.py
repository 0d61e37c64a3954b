"""Chat templates: the GGUF's own Jinja template rendered in a sandbox, or a plain fallback.

A template is code that arrived inside an untrusted file, so it runs in Jinja's immutable
sandbox (no attribute tricks, no mutation of the values it is given) with a budget of work and
size (template_limits.py): a template that loops without end or builds huge strings is a
TemplateError, not a frozen or out-of-memory app.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import CodeType
from typing import Any, TypedDict

import jinja2

from engines.errors import TemplateError
from engines.llama.template_limits import BASE_SIZE, INPUT_FACTOR, Budget, LimitedEnvironment


class Message(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


FALLBACK_STOP = ("\nUser:", "\nAssistant:")


def _raise(message: str) -> None:
    raise TemplateError(f"the model's chat template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _environment(budget: Budget) -> LimitedEnvironment:
    env = LimitedEnvironment(budget, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.Undefined)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = _strftime_now
    return env


@functools.lru_cache(maxsize=8)
def _compiled(source: str) -> CodeType:
    """The template's code, compiled once: compiling costs far more than rendering a short
    conversation, and a send renders several (engines/chat/fit.py). The budget is checked as the
    code runs, through the environment each render binds it to, so one compilation serves all."""
    code: CodeType = _environment(Budget(BASE_SIZE)).compile(source)
    return code


@dataclass(frozen=True)
class ChatTemplate:
    source: str | None  # None means the plain fallback
    bos_token: str = ""
    eos_token: str = ""

    @property
    def is_fallback(self) -> bool:
        return self.source is None

    @property
    def stop_strings(self) -> tuple[str, ...]:
        return FALLBACK_STOP if self.source is None else ()

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        if self.source is None:
            return render_fallback(messages, add_generation_prompt)
        given = sum(len(m["content"]) for m in messages) + len(self.bos_token) + len(self.eos_token)
        budget = Budget(BASE_SIZE + INPUT_FACTOR * given)
        try:
            env = _environment(budget)
            template = env.template_class.from_code(env, _compiled(self.source), env.make_globals(None), None)
            out: list[str] = []
            size = 0
            for chunk in template.generate(
                messages=[dict(m) for m in messages],
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                tools=None,
                documents=None,
            ):
                size += len(chunk)
                budget.size(size)  # the prompt as a whole, not just each value
                budget.step()
                out.append(chunk)
            return "".join(out)
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"the model's chat template cannot be used: {exc}") from exc
        except Exception as exc:  # a template is untrusted code; never let it crash the app
            raise TemplateError(f"the model's chat template failed: {type(exc).__name__}: {exc}") from exc


def render_fallback(messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
    """A plain transcript for base models without a template; generation stops at the next 'User:'."""
    labels = {"user": "User: ", "assistant": "Assistant: "}
    parts: list[str] = []
    for message in messages:
        content = message["content"].strip()
        if message["role"] == "system":
            parts.append(f"{content}\n\n")
        else:
            parts.append(f"{labels[message['role']]}{content}\n")
    text = "".join(parts)
    if add_generation_prompt:
        text += "Assistant:"
    return text


def validate_messages(messages: Sequence[Any]) -> list[Message]:
    checked: list[Message] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise TemplateError(f"message {index} needs a text 'content'")
        role = message.get("role")
        if role not in ("system", "user", "assistant"):
            raise TemplateError(f"message {index} has the unknown role {role!r}")
        checked.append(Message(role=role, content=message["content"]))
    if not checked:
        raise TemplateError("the conversation is empty")
    return checked
