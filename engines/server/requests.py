"""The bodies the OpenAI API accepts, checked once: unknown fields are ignored as OpenAI's own
clients send many; fields Candeia cannot honour are refused with a 400 instead of silently wrong."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.llama.sampling import SamplingOptions
from engines.server.errors import ApiError

MAX_STOPS = 8


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1)


class _Sampled(_Body):
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    max_tokens: int | None = Field(default=None, ge=0)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int = Field(default=1, ge=1, le=1)
    stream_options: dict[str, Any] | None = None
    ignore_eos: bool = False  # llama-server's extension: write max_tokens whatever the model says (benchmarks)
    # llama-server's sampling extensions, which its clients (and Candeia's remote engine) send
    top_k: int | None = Field(default=None, ge=0)
    min_p: float | None = Field(default=None, ge=0.0, le=1.0)
    repeat_penalty: float | None = Field(default=None, ge=0.5, le=3.0)

    @property
    def include_usage(self) -> bool:
        return bool((self.stream_options or {}).get("include_usage"))

    def sampling(self, default_max: int | None) -> SamplingOptions:
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        if len(stops) > MAX_STOPS:
            raise ApiError(400, f"at most {MAX_STOPS} stop strings are accepted", param="stop")
        values: dict[str, Any] = {"repeat_penalty": self.repeat_penalty or 1.0, "ignore_eos": self.ignore_eos,
                                  "stop": tuple(s for s in stops if s),
                                  "max_tokens": self.max_tokens if self.max_tokens is not None else default_max}
        if self.temperature is not None:
            values["temperature"] = self.temperature
        if self.top_p is not None:
            values["top_p"] = self.top_p
        if self.top_k is not None:
            values["top_k"] = self.top_k
        if self.min_p is not None:
            values["min_p"] = self.min_p
        if self.seed is not None:
            values["seed"] = self.seed % 2**32
        return SamplingOptions(**values)


class ChatRequest(_Sampled):
    messages: list[dict[str, Any]] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=0)
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None

    def limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens

    def json_schema(self) -> str | None:
        """The JSON Schema a `response_format` asks the reply to follow (None: free text)."""
        fmt = self.response_format or {}
        kind = fmt.get("type", "text")
        if kind == "text":
            return None
        if kind == "json_object":
            return json.dumps({"type": "object"})
        if kind == "json_schema":
            holder = fmt.get("json_schema")
            schema = holder.get("schema") if isinstance(holder, dict) else None
            if not isinstance(schema, dict):
                raise ApiError(400, "response_format.json_schema.schema must be a JSON Schema object",
                               param="response_format")
            return json.dumps(schema)
        raise ApiError(400, f"response_format type '{kind}' is not supported", param="response_format")


class CompletionRequest(_Sampled):
    prompt: str | list[str] | list[int]
    echo: bool = False
    suffix: str | None = None


class EmbeddingRequest(_Body):
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: str = "float"
    dimensions: int | None = None

    def texts(self) -> list[str]:
        given = [self.input] if isinstance(self.input, str) else list(self.input)
        if not given or not all(isinstance(item, str) for item in given):
            raise ApiError(400, "input must be a text or a list of texts (token arrays are not accepted)",
                           param="input")
        if self.encoding_format not in ("float", "base64"):
            raise ApiError(400, "encoding_format must be 'float' or 'base64'", param="encoding_format")
        return [str(item) for item in given]


def parse(kind: type[_Body], raw: bytes) -> Any:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ApiError(400, f"{where or 'body'}: {first.get('msg', 'invalid')}", param=where or None) from None
