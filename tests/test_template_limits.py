"""A chat template has a budget of work and size (issue 15, finding 10).

Templates are code inside untrusted model files. Nested `range` loops ran 3x10^8 iterations and
`'A' * 2e9` (as an int) filled memory; now each is a TemplateError that names the limit. The
attacks run in a child process with a memory cap and a deadline, so a regression fails the test
rather than taking the machine's memory or hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from engines.errors import TemplateError
from engines.llama.template import ChatTemplate, Message
from engines.llama.template_limits import BASE_SIZE

ATTACKS = {
    "nested range loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested loops that print": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "float repeat": "{{ 'A' * 2e9 }}",
    "int repeat": "{{ 'A' * (2e9 | int) }}",
    "literal repeat": "{{ 'A' * 2000000000 }}",
    "list repeat": "{{ ([1] * 2000000000) | length }}",
    "doubling with +": "{% set ns = namespace(s='AB') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
                       "{% endfor %}{{ ns.s | length }}",
    "doubling with ~": "{% set ns = namespace(s='AB') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
                       "{% endfor %}{{ ns.s | length }}",
    "replace bomb": "{{ ('A' * 100000) | replace('A', 'A' * 100000) }}",
    "join bomb": "{{ range(100000) | join('A' * 100000) }}",
    "format width": "{{ '%2000000000s' | format('x') }}",
    "percent width": "{{ '%2000000000s' % 'x' }}",
    "str.format width": "{{ '{:>2000000000}'.format('x') }}",
    "center": "{{ 'x'.center(2000000000) }}",
    "indent": "{{ ('x\\n' * 100000) | indent(100000) }}",
    "big power": "{{ (7 ** 100000000) }}",
    "squaring": "{% set ns = namespace(n=3) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "exponential macro": "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
                         "{{ f(60) }}",
    "recursive loop": "{% for x in range(10) recursive %}{% if loop.depth < 12 %}{{ loop(range(10)) }}{% endif %}"
                      "{% endfor %}",
    "output size": "{% for i in range(100000) %}{{ 'A' * 100000 }}{% endfor %}",
}

_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    from engines.errors import TemplateError
    from engines.llama.template import ChatTemplate

    results = {}
    for name, source in json.loads(sys.argv[1]).items():
        start = time.perf_counter()
        try:
            out = ChatTemplate(source).render([{"role": "user", "content": "hi"}])
            results[name] = ["rendered", len(out), time.perf_counter() - start]
        except TemplateError as exc:
            results[name] = ["error", str(exc), time.perf_counter() - start]
    print(json.dumps(results))
    """
)


@pytest.mark.timeout(180)
def test_templates_over_the_budget_are_a_clear_error() -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(ATTACKS)],
            capture_output=True, text=True, timeout=150, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("a template ran past the deadline: loops are not limited")
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads(result.stdout)
    for name, (outcome, detail, seconds) in results.items():
        assert outcome == "error", f"{name}: rendered {detail} characters"
        if name != "float repeat":  # 'A' * 2e9 is a TypeError in Python itself
            assert "too large" in detail or "too much work" in detail or "too long" in detail, (name, detail)
        assert detail.startswith("the model's chat template"), detail
        assert seconds < 30, (name, seconds)


CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim"
    " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first = messages[0]['content'] + '\\n\\n' %}"
    "{% set loop_messages = messages[1:] %}{% else %}{% set first = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\\n' + (first if loop.first else '') + message['content'] | trim"
    " + '<end_of_turn>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)
NAMESPACE = (
    "{%- set ns = namespace(last_user=0) %}{%- for m in messages[::-1] %}"
    "{%- if m.role == 'user' and ns.last_user == 0 %}"
    "{%- set ns.last_user = messages|length - loop.index0 %}{%- endif %}{%- endfor %}"
    "{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ ns.last_user }}|"
    "{% for m in messages %}[{{ m.role | upper }}] {{ m.content ~ '' }}{{ '%s' % loop.index }}{% endfor %}"
    "{{ messages[-1] | tojson | length > 0 }}{{ strftime_now('%Y') | length }}"
)


def _conversation(turns: int, size: int) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": "Be brief."}]
    for index in range(turns):
        messages.append({"role": "user" if index % 2 == 0 else "assistant", "content": f"{index} " + "w " * size})
    return messages


@pytest.mark.parametrize("source", [CHATML, LLAMA3, NAMESPACE])
def test_real_templates_render_long_conversations(source: str) -> None:
    messages = _conversation(2001, 2000)  # 2,000 turns of 4,000 characters: 8 MB of prompt
    text = ChatTemplate(source, bos_token="<s>").render(messages)
    assert len(text) > 8_000_000
    assert messages[-1]["content"].strip() in text


def test_gemma_template_still_raises_its_own_error() -> None:
    messages = _conversation(11, 10)
    assert ChatTemplate(GEMMA, bos_token="<bos>").render(messages[1:]).endswith("<start_of_turn>model\n")
    with pytest.raises(TemplateError, match="roles must alternate"):
        ChatTemplate(GEMMA).render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])


def test_a_prompt_may_be_larger_than_the_base_size_when_the_input_is() -> None:
    big = "x" * (3 * BASE_SIZE)
    text = ChatTemplate(CHATML).render([{"role": "user", "content": big}])
    assert big in text
    with pytest.raises(TemplateError, match="too large"):
        ChatTemplate("{{ messages[0].content * 10 }}").render([{"role": "user", "content": big}])


def test_looking_at_the_whole_conversation_inside_its_loop_is_cheap() -> None:
    """`messages|length` inside the loop over messages is common; it must not count as walking
    the list each time, or long conversations would hit the step budget."""
    source = ("{% for m in messages %}{% if loop.index0 == messages|length - 1 %}[last]{% endif %}"
              "{{ m.content|trim }}{{ messages|first|length }}{% endfor %}")
    messages = _conversation(4000, 1)
    text = ChatTemplate(source).render(messages)
    assert text.count("[last]") == 1 and text.endswith("[last]3999 w2")
