"""GBNF grammars for llama.cpp's constrained decoding: one of a set of labels, or a JSON schema."""

from __future__ import annotations

import json

from engines.errors import CandeiaError


def gbnf_literal(text: str) -> str:
    """A GBNF string literal: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def label_grammar(labels: tuple[str, ...]) -> str:
    """Exactly one of the labels, nothing before or after it."""
    if not labels:
        raise CandeiaError("give at least one label")
    return "root ::= " + " | ".join(gbnf_literal(label) for label in labels) + "\n"


def check_schema(schema: str) -> str:
    """The schema, compact, once it is known to be a JSON object. The engine host turns it into a
    grammar (llama-cpp-python's converter: importing it would load llama.cpp into the app)."""
    try:
        parsed = json.loads(schema)
    except json.JSONDecodeError as exc:
        raise CandeiaError(f"the JSON schema is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(parsed, dict):
        raise CandeiaError("the JSON schema must be a JSON object")
    return json.dumps(parsed, separators=(",", ":"))
