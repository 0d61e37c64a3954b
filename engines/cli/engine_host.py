"""The engine host, child side: one process that loads one llama.cpp model and serves its client.

Started by `client.HostProcess` as `python -m engines.cli.engine_host` (or the frozen `candeia-cli
--engine-host`). Requests arrive on stdin, replies leave on a duplicate of the original stdout;
fd 1 itself is pointed at stderr first, so anything native code prints can never corrupt the
channel. Generation runs on the engine's own owner thread and is streamed from a thread of its
own, so the main loop stays free to take a cancel. The end of stdin (the app closed, or was
killed) ends the process at once: no host outlives its app.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from engines.errors import CandeiaError, EngineClosedError, UsageError
from engines.host import wire
from engines.host.faults import Faults
from engines.host.launch import EXIT_OOM, MEMORY_LIMIT_ENV
from engines.jobs import CancelToken

PROBE_TOKENS = 64  # the first load of a file decodes this many tokens in one batch...
PROBE_GENERATE = 4  # ...then generates a few, so batched kernels run before any real reply
_PROBE_TEXT = (
    "The quick brown fox jumps over the lazy dog. Candeia checks that this model runs on this computer "
    "by reading a short paragraph in one batch and writing a few words after it. "
)


def apply_memory_limit() -> None:
    """Cap this process's address space when asked (tests; a user who wants a hard cap)."""
    limit = os.environ.get(MEMORY_LIMIT_ENV)
    if not limit or sys.platform == "win32":  # no RLIMIT_AS there (a job object would be the way)
        return
    import resource

    try:
        size = int(limit) << 20
    except ValueError:  # a cap the app cannot read is no cap; the client says so in its own checks
        print(f"{MEMORY_LIMIT_ENV}={limit!r} is not a number of MB; no memory cap", file=sys.stderr)
        return
    if size > 0:
        resource.setrlimit(resource.RLIMIT_AS, (size, size))


def probe_tokens(tokenize: Any, context_size: int) -> list[int]:
    """At least PROBE_TOKENS real tokens (fewer only when the context is smaller)."""
    tokens: list[int] = list(tokenize(_PROBE_TEXT * 4))
    while len(tokens) < PROBE_TOKENS and tokens:
        tokens += tokens
    room = max(2, context_size - PROBE_GENERATE - 2)
    return tokens[: min(PROBE_TOKENS, room)] or [0, 0]


def _error(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc) if isinstance(exc, CandeiaError) else
            f"{type(exc).__name__}: {exc}"}


class Host:
    def __init__(self, requests: BinaryIO, replies: BinaryIO) -> None:
        self._requests = requests
        self._replies = replies
        self._send_lock = threading.Lock()
        self._cancels: dict[int, CancelToken] = {}
        self._engine: Any = None
        self._kind = ""

    def send(self, message: wire.Message) -> None:
        with self._send_lock:
            wire.send(self._replies, message)

    def serve(self) -> None:
        while True:
            message = wire.receive(self._requests)
            if message is None or message.get("op") == "exit":
                return
            op, ident = message.get("op"), int(message.get("id", 0))
            if op == "cancel":
                token = self._cancels.get(int(message.get("target", -1)))
                if token is not None:
                    token.cancel()
            elif op in ("generate", "caption", "label"):
                token = self._cancels[ident] = CancelToken()
                threading.Thread(target=self._guarded, args=(ident, op, message, token), daemon=True).start()
            else:
                self._guarded(ident, str(op), message, None)

    def _guarded(self, ident: int, op: str, message: wire.Message, cancel: CancelToken | None) -> None:
        try:
            handler = getattr(self, f"_op_{op}", None)
            if handler is None:
                raise CandeiaError(f"the engine host does not know the request '{op}'")
            result = handler(ident, message, cancel)
            self.send({"id": ident, "ok": result})
        except MemoryError:
            os._exit(EXIT_OOM)
        except Exception as exc:
            self.send({"id": ident, "error": _error(exc)})
        finally:
            self._cancels.pop(ident, None)

    # -- requests -------------------------------------------------------------------------------
    def _op_load(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        from engines.llama.engine import LoadOptions

        options = LoadOptions(**message["options"])
        faults = Faults.from_env(extra_buffers=options.extra_buffers, gpu_layers=options.gpu_layers)
        faults.at("load")
        if message.get("kind") == "vision":
            result = self._load_vision(message, options)
        elif message.get("kind") == "embed":
            result = self._load_embed(message, options)
        elif message.get("kind") == "label":
            result = self._load_label(message, options)
        elif message.get("kind") == "serve":
            result = self._load_serve(message, options)
        else:
            result = self._load_chat(message, options, faults)
        result["device"] = _device(options.gpu_layers)
        return result

    def _load_chat(self, message: wire.Message, options: Any, faults: Faults) -> dict[str, Any]:
        from engines.gguf.info import read_gguf
        from engines.llama.engine import LlamaEngine
        from engines.llama.sampling import SamplingOptions

        engine = LlamaEngine(read_gguf(message["path"]), options)
        self._engine, self._kind = engine, "chat"
        faults.wrap_decoder(engine.decoder, "batch")
        if message.get("probe"):
            tokens = probe_tokens(lambda text: engine.tokenize(text), engine.context_size)
            sampling = SamplingOptions(temperature=0.0, max_tokens=PROBE_GENERATE, ignore_eos=True,
                                       repeat_penalty=1.0)
            for _ in engine.stream_tokens(tokens, sampling, (), strip_leading=False):
                pass
            engine.reset_cache()
        faults.wrap_decoder(engine.decoder, "token")
        return {
            "context_size": engine.context_size,
            "load_ms": engine.load_ms,
            "bos": engine.template.bos_token,
            "eos": engine.template.eos_token,
            "huge_page_bytes": engine.huge_page_bytes,
        }

    def _load_vision(self, message: wire.Message, options: Any) -> dict[str, Any]:
        from engines.caption.llama_vision import LlamaVisionCaptioner

        captioner = LlamaVisionCaptioner.load(
            Path(message["path"]), Path(message["mmproj"]), threads=options.threads, gpu_layers=options.gpu_layers,
            context_size=options.context_size, extra_buffers=options.extra_buffers)
        self._engine, self._kind = captioner, "vision"
        if message.get("probe"):
            captioner.probe(probe_tokens(captioner.tokenize, 512), PROBE_GENERATE)
        return {"load_ms": captioner.load_ms, "handler": captioner.handler_name}

    def _load_embed(self, message: wire.Message, options: Any) -> dict[str, Any]:
        from engines.gguf.info import read_gguf
        from engines.host.embed_worker import GGUFEmbedder

        embedder = GGUFEmbedder(read_gguf(message["path"]), options)
        self._engine, self._kind = embedder, "embed"
        return {"load_ms": embedder.load_ms, "dimensions": embedder.dimensions, "pooling": embedder.pooling}

    def _load_serve(self, message: wire.Message, options: Any) -> dict[str, Any]:
        from engines.gguf.info import read_gguf
        from engines.llama.served import ServedModel

        served = ServedModel(read_gguf(message["path"]), options, int(message.get("parallel", 1)))
        self._engine, self._kind = served, "serve"
        # the batched kernels run once before any client's reply (repair.py); the probe's cache is emptied
        # after it: no client's prompt starts like it, and keys and values decoded in its 64-token batch
        # differ in the last bits from a fresh decode's, enough to flip a near tie (docs/server.md)
        if message.get("probe"):
            from engines.llama.sampling import SamplingOptions

            probe = SamplingOptions(temperature=0.0, max_tokens=PROBE_GENERATE, ignore_eos=True, repeat_penalty=1.0)
            for _ in served.scheduler.stream(probe_tokens(served.tokenize, served.slot_context), probe, (),
                                             CancelToken(), strip_leading=False, keep_cache=False):
                pass
        return {"context_size": served.slot_context, "load_ms": served.load_ms, "bos": served.template.bos_token,
                "eos": served.template.eos_token, "huge_page_bytes": 0, "parallel": served.parallel}

    def _op_embed(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> list[list[float]]:
        vectors: list[list[float]] = self._loaded("embed").embed(list(message["texts"]))
        return vectors

    def _load_label(self, message: wire.Message, options: Any) -> dict[str, Any]:
        from engines.gguf.info import read_gguf
        from engines.host.label_worker import GGUFLabeler

        labeler = GGUFLabeler(read_gguf(message["path"]), options)
        self._engine, self._kind = labeler, "label"
        if message.get("probe"):
            labeler.probe(probe_tokens(lambda text: labeler.tokens(text), labeler.context), PROBE_GENERATE)
        return {"load_ms": labeler.load_ms, "context_size": labeler.context, "bos": labeler.bos, "eos": labeler.eos}

    def _op_label(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        result: dict[str, Any] = self._loaded("label").label(message, cancel)
        return result

    def _loaded(self, *kinds: str) -> Any:
        if self._engine is None or self._kind not in kinds:
            raise EngineClosedError("no model is loaded in this engine host")
        return self._engine

    def _op_tokenize(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> list[int]:
        engine = self._loaded("chat", "serve")
        tokens: list[int] = engine.tokenize(message["text"], add_special=bool(message.get("add_special", True)))
        return tokens

    def _op_slots(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> int:
        """How many replies hold a slot now (tests and the server's status)."""
        busy: int = self._loaded("serve").scheduler.busy_slots
        return busy

    def _op_reset(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> None:
        self._loaded("chat").reset_cache()

    def _op_generate(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> dict[str, Any]:
        from engines.llama.engine import Finished, TextDelta
        from engines.llama.sampling import SamplingOptions

        engine = self._loaded("chat", "serve")
        sampling = SamplingOptions.model_validate(message["sampling"])
        finished: Finished | None = None
        strip = bool(message.get("strip_leading"))
        if self._kind == "serve":
            events = engine.scheduler.stream(message["tokens"], sampling, message.get("stops", ()),
                                             cancel or CancelToken(), strip_leading=strip,
                                             grammar=_grammar(message.get("json_schema")))
            self.send({"id": ident, "accepted": True})  # queued: a refusal would have come instead of this
        else:
            events = engine.stream_tokens(message["tokens"], sampling, message.get("stops", ()), cancel,
                                          strip_leading=strip)
        for event in events:
            if isinstance(event, TextDelta):
                self.send({"id": ident, "text": event.text})
            else:
                finished = event
        if finished is None:
            raise CandeiaError("the reply ended without a result")
        return {"text": finished.text, "stats": dataclasses.asdict(finished.stats)}

    def _op_caption(self, ident: int, message: wire.Message, cancel: CancelToken | None) -> str:
        from engines.caption.types import CaptionOptions, CaptionStyle

        captioner = self._loaded("vision")
        raw = dict(message["options"])
        raw["style"] = CaptionStyle(raw.get("style", "short"))
        caption: str = captioner.caption_uri(message["image"], CaptionOptions(**raw), cancel or CancelToken())
        return caption


def _grammar(json_schema: str | None) -> str | None:
    """A JSON Schema as a llama.cpp grammar (GBNF), with llama-cpp-python's converter."""
    if not json_schema:
        return None
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return str(json_schema_to_gbnf(json_schema))
    except Exception as exc:  # the converter raises bare errors for schemas it cannot express
        raise UsageError(f"the JSON schema cannot be turned into a grammar ({exc})") from None


def _device(gpu_layers: int) -> str:
    if gpu_layers == 0:
        return "CPU"
    from engines.llama.native import llama_cpp_module

    if not llama_cpp_module().llama_supports_gpu_offload():
        return "CPU"
    return "GPU (all layers)" if gpu_layers < 0 else f"GPU ({gpu_layers} layers)"


def _warm_up() -> None:
    """Import what every load needs before the first request arrives (a spare host waits ready)."""
    from engines.gguf.info import read_gguf  # noqa: F401
    from engines.llama.engine import LlamaEngine  # noqa: F401
    from engines.llama.native import llama_cpp_module

    llama_cpp_module()


def main() -> int:
    return run_host(Host, _warm_up)


def run_host(kind: type[Host], warm_up: Callable[[], None] | None = None) -> int:
    """The process of a host of this kind: the channel, the memory cap, then serve until stdin ends."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # native code that prints to stdout now writes to stderr, never into the channel
    apply_memory_limit()
    if warm_up is not None:
        warm_up()
    host = kind(sys.stdin.buffer, replies)
    try:
        host.serve()
    except MemoryError:
        os._exit(EXIT_OOM)
    # exit without running native destructors: the memory returns to the system with the process
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
