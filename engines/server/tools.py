"""OpenAI messages and tools as a conversation the model's own chat template can render.

Templates in GGUF files differ in how (and whether) they describe tools, so the tools are described
in the system message the same way for every model, and a call is one JSON object
`{"name": ..., "arguments": {...}}`. With `tool_choice` "required" or a named function the reply
is constrained to that object by a grammar (the JSON Schema below), so it always parses; with
"auto" a reply that is such an object (bare, fenced, or in <tool_call> tags) becomes a tool call.
Tool results go back to the model as user turns that say which call they answer.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from engines.llama.template import Message
from engines.server.errors import ApiError

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


def text_of(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise ApiError(400, f"{where}: only text content parts are supported", param="messages")
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise ApiError(400, f"{where}: content must be a text or a list of text parts", param="messages")


def functions(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for index, tool in enumerate(tools or []):
        function = tool.get("function") if tool.get("type", "function") == "function" else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ApiError(400, f"tools.{index}: a function tool with a name is required", param="tools")
        found.append(function)
    return found


def conversation(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[Message]:
    out: list[Message] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        where = f"messages.{index}"
        content = text_of(message.get("content"), where)
        if role in ("system", "developer"):
            out.append(Message(role="system", content=content))
        elif role == "user":
            out.append(Message(role="user", content=content))
        elif role == "assistant":
            calls = [json.dumps({"name": function["name"], "arguments": _arguments(function.get("arguments"))})
                     for function in _called(message.get("tool_calls"), where)]
            out.append(Message(role="assistant", content="\n".join([content, *calls]).strip()))
        elif role == "tool":
            call = message.get("tool_call_id") or message.get("name") or "a tool call"
            out.append(Message(role="user", content=f"Result of {call}:\n{content}"))
        else:
            raise ApiError(400, f"{where}: unknown role {role!r}", param="messages")
    if tools:
        out = _with_tool_prompt(out, tools)
    return out


def _called(calls: Any, where: str) -> list[dict[str, Any]]:
    """The functions an assistant turn called (each `{"function": {"name", "arguments"}}`)."""
    if calls is None:
        return []
    functions: list[Any] = [call.get("function") if isinstance(call, dict) else None
                            for call in (calls if isinstance(calls, list) else [None])]
    if not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in functions):
        raise ApiError(400, f"{where}.tool_calls: a list of function calls, each with a function name, is expected",
                       param="messages")
    return functions


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _with_tool_prompt(messages: list[Message], tools: list[dict[str, Any]]) -> list[Message]:
    described = json.dumps([{k: f[k] for k in ("name", "description", "parameters") if k in f} for f in tools])
    prompt = ("You can call these functions:\n" + described + "\nTo call one, reply with only a JSON object "
              '{"name": <function name>, "arguments": <an object of its parameters>} and nothing else.')
    if messages and messages[0]["role"] == "system":
        return [Message(role="system", content=messages[0]["content"] + "\n\n" + prompt), *messages[1:]]
    return [Message(role="system", content=prompt), *messages]


def forced_schema(tools: list[dict[str, Any]], choice: str | dict[str, Any] | None) -> str | None:
    """The JSON Schema of the call a `tool_choice` demands, or None when the model may answer in text."""
    if choice in (None, "auto", "none"):
        return None
    if not tools:
        raise ApiError(400, "tool_choice asks for a tool call but no tools were given", param="tool_choice")
    if choice == "required":
        chosen = tools
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        chosen = [f for f in tools if f["name"] == name]
        if not chosen:
            raise ApiError(400, f"tool_choice names the unknown function {name!r}", param="tool_choice")
    else:
        raise ApiError(400, "tool_choice must be 'none', 'auto', 'required' or a named function", param="tool_choice")
    options = [{"type": "object", "properties": {"name": {"const": f["name"]},
                                                 "arguments": f.get("parameters") or {"type": "object"}},
                "required": ["name", "arguments"]} for f in chosen]
    return json.dumps(options[0] if len(options) == 1 else {"anyOf": options})


def parse_call(text: str, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The reply as an OpenAI tool call, when it is one."""
    raw = text.strip()
    tagged = _TAGGED.search(raw)
    if tagged:
        raw = tagged.group(1)
    fenced = _FENCED.match(raw)
    if fenced:
        raw = fenced.group(1)
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    names = {f["name"] for f in tools}
    if not isinstance(value, dict) or value.get("name") not in names:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    return {"id": "call_" + secrets.token_hex(12), "type": "function",
            "function": {"name": value["name"], "arguments": json.dumps(arguments, ensure_ascii=False)}}
