"""The OpenAI-compatible endpoints on Starlette: /v1/models, /v1/chat/completions, /v1/completions,
/v1/embeddings. Handlers parse and answer; models load and run through the pool (engines hosts)."""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from engines.jobs import CancelToken
from engines.llama.events import Finished, TextDelta
from engines.llama.stats import GenerationStats
from engines.server import replies, tools
from engines.server.bridge import ThreadStream
from engines.server.errors import ApiError, from_exception
from engines.server.guard import Guard, GuardPolicy
from engines.server.pool import ModelPool, is_chat_model, is_embedding_model
from engines.server.requests import ChatRequest, CompletionRequest, EmbeddingRequest, parse

log = logging.getLogger(__name__)

COMPLETION_DEFAULT_MAX = 16  # what OpenAI's /v1/completions writes when max_tokens is not given


def hosted(pool: ModelPool, model: str, kind: str, start: Callable[[Any, CancelToken], Iterator[Any]]
           ) -> Callable[[CancelToken], Iterator[Any]]:
    """A source for ThreadStream: load (or reuse) the model, start the reply eagerly (so a refusal
    arrives before any byte is sent), and keep the model in use until the reply ends."""

    def source(cancel: CancelToken) -> Iterator[Any]:
        stack = contextlib.ExitStack()
        try:
            engine = stack.enter_context(pool.use(model, kind))
            events = start(engine, cancel)
        except BaseException:
            stack.close()
            raise

        def run() -> Iterator[Any]:
            with stack:
                yield from events

        return run()

    return source


async def _started(pool: ModelPool, model: str, kind: str, start: Callable[[Any, CancelToken], Iterator[Any]]
                   ) -> ThreadStream:
    stream = ThreadStream(hosted(pool, model, kind, start), name=f"serve:{model}")
    try:
        await stream.started()
    except BaseException:
        stream.cancel.cancel()
        raise
    return stream


def _event_stream(frames: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})


class Api:
    def __init__(self, pool: ModelPool) -> None:
        self.pool = pool

    # -- /v1/models -----------------------------------------------------------------------------
    def _listed(self) -> list[dict[str, Any]]:
        return [{"id": m.id, "object": "model", "created": 0, "owned_by": "candeia"}
                for m in self.pool.installed() if is_chat_model(m) or is_embedding_model(m)]

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": self._listed()})

    async def model(self, request: Request) -> Response:
        wanted = request.path_params["model"]
        for entry in self._listed():
            if entry["id"] == wanted:
                return JSONResponse(entry)
        raise ApiError(404, f"no installed model has the id '{wanted}'", code="model_not_found", param="model")

    # -- /v1/chat/completions -------------------------------------------------------------------
    async def chat(self, request: Request) -> Response:
        body: ChatRequest = parse(ChatRequest, await request.body())
        functions = tools.functions(body.tools) if body.tool_choice != "none" else []
        messages = tools.conversation(body.messages, functions)
        schema = tools.forced_schema(functions, body.tool_choice) or body.json_schema()
        sampling = body.sampling(body.limit())

        def start(engine: Any, cancel: CancelToken) -> Iterator[Any]:
            tokens = engine.chat_prompt_tokens(messages)
            return iter(engine.stream_chat_tokens(tokens, sampling, cancel, json_schema=schema))

        stream = await _started(self.pool, body.model, "chat", start)
        envelope = replies.Envelope("chatcmpl", "chat.completion", body.model)
        if body.stream:
            envelope.kind = "chat.completion.chunk"
            return _event_stream(self._chat_frames(stream, envelope, functions, body.include_usage))
        finished = _finished(await stream.collect(request.is_disconnected))
        call = tools.parse_call(finished.text, functions) if functions else None
        choice = {"index": 0, "message": replies.chat_message(finished.text, call), "logprobs": None,
                  "finish_reason": replies.chat_finish(finished.stats, call)}
        return JSONResponse(envelope.wrap([choice], {"usage": replies.usage(finished.stats)}))

    async def _chat_frames(self, stream: ThreadStream, envelope: replies.Envelope,
                           functions: list[dict[str, Any]], include_usage: bool) -> AsyncIterator[bytes]:
        yield replies.sse(replies.chat_delta(envelope, {"role": "assistant", "content": ""}))
        try:
            async for event in stream.events():
                if isinstance(event, TextDelta):
                    if not functions:  # a reply that may be a tool call is sent whole, at its end
                        yield replies.sse(replies.chat_delta(envelope, {"content": event.text}))
                    continue
                call = tools.parse_call(event.text, functions) if functions else None
                if functions:
                    delta = replies.tool_delta(call) if call else {"content": event.text}
                    yield replies.sse(replies.chat_delta(envelope, delta))
                yield replies.sse(replies.chat_delta(envelope, {}, replies.chat_finish(event.stats, call)))
                if include_usage:
                    yield replies.sse(envelope.wrap([], {"usage": replies.usage(event.stats)}))
        except Exception as exc:  # the engine failed mid-reply: say so in the stream, as OpenAI does
            yield replies.sse(from_exception(exc).body())
        yield replies.sse("[DONE]")

    # -- /v1/completions ------------------------------------------------------------------------
    async def completions(self, request: Request) -> Response:
        body: CompletionRequest = parse(CompletionRequest, await request.body())
        if body.suffix:
            raise ApiError(400, "suffix (fill in the middle) is not supported", param="suffix")
        prompts = _prompts(body.prompt)
        if body.stream and len(prompts) > 1:
            raise ApiError(400, "streaming takes one prompt", param="prompt")
        sampling = body.sampling(body.max_tokens if body.max_tokens is not None else COMPLETION_DEFAULT_MAX)
        envelope = replies.Envelope("cmpl", "text_completion", body.model)
        if body.stream:
            stream = await _started(self.pool, body.model, "chat", _completion_start(prompts[0], sampling))
            return _event_stream(self._completion_frames(stream, envelope, body, prompts[0]))
        choices: list[dict[str, Any]] = []
        stats: list[GenerationStats] = []
        for index, prompt in enumerate(prompts):
            if index and await request.is_disconnected():  # the client left: the other prompts are not written
                break
            stream = await _started(self.pool, body.model, "chat", _completion_start(prompt, sampling))
            finished = _finished(await stream.collect(request.is_disconnected))
            text = (prompt if body.echo and isinstance(prompt, str) else "") + finished.text
            choices.append({**replies.text_choice(text, replies.FINISH.get(finished.stats.stop_reason)),
                            "index": index})
            stats.append(finished.stats)
        return JSONResponse(envelope.wrap(choices, {"usage": replies.total_usage(stats)}))

    async def _completion_frames(self, stream: ThreadStream, envelope: replies.Envelope, body: CompletionRequest,
                                 prompt: str | list[int]) -> AsyncIterator[bytes]:
        if body.echo and isinstance(prompt, str):
            yield replies.sse(envelope.wrap([replies.text_choice(prompt, None)]))
        try:
            async for event in stream.events():
                if isinstance(event, TextDelta):
                    yield replies.sse(envelope.wrap([replies.text_choice(event.text, None)]))
                    continue
                finish = replies.FINISH.get(event.stats.stop_reason, "stop")
                yield replies.sse(envelope.wrap([replies.text_choice("", finish)]))
                if body.include_usage:
                    yield replies.sse(envelope.wrap([], {"usage": replies.usage(event.stats)}))
        except Exception as exc:
            yield replies.sse(from_exception(exc).body())
        yield replies.sse("[DONE]")

    # -- /v1/embeddings -------------------------------------------------------------------------
    async def embeddings(self, request: Request) -> Response:
        body: EmbeddingRequest = parse(EmbeddingRequest, await request.body())
        texts = body.texts()

        def start(encoder: Any, cancel: CancelToken) -> Iterator[Any]:
            return iter([encoder.embed(texts, cancel=cancel)])

        stream = await _started(self.pool, body.model, "embed", start)
        (vectors,) = await stream.collect(request.is_disconnected)
        vectors = np.asarray(vectors, dtype=np.float32)
        if body.dimensions is not None and body.dimensions != vectors.shape[1]:
            raise ApiError(400, f"this model gives {vectors.shape[1]} dimensions, not {body.dimensions}",
                           param="dimensions")
        data = [{"object": "embedding", "index": i, "embedding": _encoded(row, body.encoding_format)}
                for i, row in enumerate(vectors)]
        return JSONResponse({"object": "list", "data": data, "model": body.model,
                             "usage": {"prompt_tokens": 0, "total_tokens": 0}})


def _prompts(prompt: str | list[str] | list[int]) -> list[str | list[int]]:
    if isinstance(prompt, str):
        return [prompt]
    if not prompt:
        raise ApiError(400, "prompt is empty", param="prompt")
    if all(isinstance(p, int) for p in prompt):
        return [[int(p) for p in prompt]]
    return [str(p) for p in prompt]


def _completion_start(prompt: str | list[int], sampling: Any) -> Callable[[Any, CancelToken], Iterator[Any]]:
    def start(engine: Any, cancel: CancelToken) -> Iterator[Any]:
        return iter(engine.stream_completion(prompt, sampling, cancel))

    return start


def _finished(events: list[Any]) -> Finished:
    for event in reversed(events):
        if isinstance(event, Finished):
            return event
    raise ApiError(500, "the reply ended without a result", kind="server_error")


def _encoded(row: Any, encoding: str) -> Any:
    if encoding == "base64":
        return base64.b64encode(np.asarray(row, dtype="<f4").tobytes()).decode("ascii")
    return [float(x) for x in row]


async def _api_error(request: Request, exc: Exception) -> Response:
    return from_exception(exc).response()


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "no such endpoint" if status == 404 else str(getattr(exc, "detail", "")) or "request refused"
    return ApiError(status, message, code="not_found" if status == 404 else None).response()


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("server: unexpected error on %s", request.url.path)
    return from_exception(exc).response()


def build_app(pool: ModelPool, policy: GuardPolicy) -> Guard:
    api = Api(pool)
    routes = [
        Route("/v1/models", api.models, methods=["GET"]),
        Route("/v1/models/{model:path}", api.model, methods=["GET"]),
        Route("/v1/chat/completions", api.chat, methods=["POST"]),
        Route("/v1/completions", api.completions, methods=["POST"]),
        Route("/v1/embeddings", api.embeddings, methods=["POST"]),
    ]
    handlers: dict[Any, Callable[..., Any]] = {ApiError: _api_error, HTTPException: _http_error,
                                               Exception: _unexpected}
    for kind in ("ModelNotFoundError", "CandeiaError"):
        from engines import errors

        handlers[getattr(errors, kind)] = _api_error
    return Guard(Starlette(routes=routes, exception_handlers=handlers), policy)
