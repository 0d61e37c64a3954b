"""Chat templates render in a sandbox; hostile or broken templates give clear errors."""

from __future__ import annotations

import pytest

from engines.errors import TemplateError
from engines.llama.stops import StopFilter
from engines.llama.template import ChatTemplate, Message, render_fallback, validate_messages

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
MSGS = [Message(role="system", content="S"), Message(role="user", content="Hi")]


def test_renders_chatml_with_generation_prompt() -> None:
    out = ChatTemplate(CHATML).render(MSGS)
    assert out == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"


def test_bos_token_and_helpers_are_available() -> None:
    tpl = ChatTemplate("{{ bos_token }}{{ messages[0].content }}{{ strftime_now('%Y') | length }}", bos_token="<s>")
    assert tpl.render(MSGS) == "<s>S4"


def test_raise_exception_becomes_template_error() -> None:
    tpl = ChatTemplate("{% if messages[0].role == 'system' %}{{ raise_exception('no system role') }}{% endif %}")
    with pytest.raises(TemplateError, match="no system role"):
        tpl.render(MSGS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ messages.__class__.__init__.__globals__ }}",
        "{% set x = messages.append({'role': 'user', 'content': 'x'}) %}{{ x }}",
    ],
)
def test_sandbox_blocks_escapes(source: str) -> None:
    with pytest.raises(TemplateError):
        ChatTemplate(source).render(MSGS)


def test_syntax_error_is_clear() -> None:
    with pytest.raises(TemplateError, match="cannot be used"):
        ChatTemplate("{% for m in messages %}").render(MSGS)


def test_fallback_transcript() -> None:
    text = render_fallback([*MSGS, Message(role="assistant", content="Hello!"), Message(role="user", content="Bye")])
    assert text == "S\n\nUser: Hi\nAssistant: Hello!\nUser: Bye\nAssistant:"
    assert "\nUser:" in ChatTemplate(None).stop_strings


def test_validate_messages() -> None:
    with pytest.raises(TemplateError, match="empty"):
        validate_messages([])
    with pytest.raises(TemplateError, match="unknown role"):
        validate_messages([{"role": "robot", "content": "x"}])
    with pytest.raises(TemplateError, match="content"):
        validate_messages([{"role": "user"}])


def test_stop_filter_holds_back_partial_matches() -> None:
    f = StopFilter(("\nUser:",))
    assert f.feed("Hello") == "Hello"
    assert f.feed(" there\nUs") == " there"
    assert f.feed("eless") == "\nUseless"
    assert f.feed("\nUser: more") == ""
    assert f.stopped


def test_stop_filter_without_stops_passes_through() -> None:
    f = StopFilter(())
    assert f.feed("abc") == "abc" and f.flush() == ""
