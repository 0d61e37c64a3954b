from __future__ import annotations

from desktop.pages.chat.markdown import Block, split_blocks, split_for_display


def test_prose_and_fenced_code() -> None:
    text = "Intro:\n\n```python\nprint(1)\n\nprint(2)\n```\nAfter."
    assert split_blocks(text) == [
        Block("text", "Intro:"), Block("code", "print(1)\n\nprint(2)", "python"), Block("text", "After.")]


def test_unclosed_fence_while_streaming() -> None:
    assert split_blocks("See:\n```js\nlet a") == [Block("text", "See:"), Block("code", "let a", "js")]
    assert split_blocks("```") == [Block("code", "", "")]


def test_tilde_fences_and_longer_closers() -> None:
    assert split_blocks("~~~\na\n~~~~\nb") == [Block("code", "a", ""), Block("text", "b")]
    assert split_blocks("````\n```\n````") == [Block("code", "```", "")]


def test_display_splits_paragraphs_but_not_code() -> None:
    text = "One.\n\nTwo\nlines.\n \nThree.\n```\nx\n\ny\n```"
    assert split_for_display(text) == [
        Block("text", "One."), Block("text", "Two\nlines."), Block("text", "Three."), Block("code", "x\n\ny", "")]


def test_streaming_chunks_long_paragraphs_and_code() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    blocks = split_for_display(words, chunk=500)
    assert len(blocks) > 3 and all(len(b.text) <= 500 for b in blocks)
    assert " ".join(b.text for b in blocks) == words
    code = "```\n" + "\n".join(f"line {i}" for i in range(200)) + "\n```"
    pieces = split_for_display(code, chunk=300)
    assert all(b.kind == "code" for b in pieces) and len(pieces) > 3
    assert "\n".join(b.text.strip("\n") for b in pieces) == "\n".join(f"line {i}" for i in range(200))
    assert len(split_for_display(words)) == 1
