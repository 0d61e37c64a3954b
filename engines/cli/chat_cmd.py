"""`candeia-cli chat`: one reply, a reply to stdin, or an interactive conversation."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from engines.chat.session import Budget, ChatSession, Reply, SessionEvent
from engines.cli.args import model_command
from engines.errors import EngineCrashedError, UsageError
from engines.host.open_model import load_options_from, open_chat_model
from engines.jobs import CancelToken
from engines.llama.engine import ChatEvent, Finished, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message
from engines.settings import load_settings

EXIT_INTERRUPTED = 130


def register(commands: Any) -> None:
    parser = model_command(
        commands, "chat", summary="chat with a GGUF model",
        description="Stream a reply to PROMPT; '-' reads the prompt from stdin; "
        "without PROMPT, an interactive conversation (/reset, /exit).",
        model_help="installed model id or path to a .gguf file",
    )
    parser.add_argument("prompt", nargs="?", help="the message; '-' reads it from stdin")
    parser.add_argument("--system", help="system prompt")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--min-p", type=float)
    parser.add_argument("--repeat-penalty", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--stop", action="append", default=[], help="stop string (repeatable)")
    parser.add_argument("--ctx", type=int, help="context size in tokens")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--gpu-layers", type=int, help="layers to offload to the GPU (-1: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with text and stats")
    parser.set_defaults(handler=run)


def sampling_from(args: argparse.Namespace) -> SamplingOptions:
    from pydantic import ValidationError

    fields = {
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": args.top_k,
        "min_p": args.min_p,
        "repeat_penalty": args.repeat_penalty,
        "seed": args.seed,
        "max_tokens": args.max_tokens,
    }
    values: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if args.stop:
        values["stop"] = tuple(args.stop)
    try:
        return SamplingOptions(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UsageError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None


def run(args: argparse.Namespace) -> int:
    sampling = sampling_from(args)
    for flag, value, low in (("--ctx", args.ctx, 16), ("--threads", args.threads, 1)):
        if value is not None and value < low:
            raise UsageError(f"{flag} must be at least {low}")
    prompt = args.prompt
    if prompt == "-":
        prompt = sys.stdin.read()
        if not prompt.strip():
            raise UsageError("the prompt read from stdin is empty")
    options = load_options_from(load_settings(), context_size=args.ctx, threads=args.threads,
                                gpu_layers=args.gpu_layers)
    engine = open_chat_model(args.model, options)
    if engine.repair is not None:
        print(f"candeia-cli: note: {engine.repair.sentence()}", file=sys.stderr)
    try:
        history: list[Message] = []
        if args.system:
            history.append(Message(role="system", content=args.system))
        if prompt is None:
            return interactive(ChatSession(engine), history, sampling, as_json=args.json)
        history.append(Message(role="user", content=prompt))
        # one prompt is sent whole: it may use the context up to its last token, as it always could
        result = reply(lambda cancel: engine.stream_chat(history, sampling, cancel), stream=not args.json)
        if args.json:
            print(json.dumps({"text": result.text, "stats": result.stats.public()}, ensure_ascii=False))
        return EXIT_INTERRUPTED if result.stats.stop_reason == "cancelled" else 0
    finally:
        engine.close()


def reply(start: Callable[[CancelToken], Iterator[SessionEvent | ChatEvent]], stream: bool) -> Reply | Finished:
    """Stream one reply. Ctrl-C stops the reply (within a token) instead of killing the program."""
    cancel = CancelToken()
    finished: Reply | Finished | None = None
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel()) if on_main else None
    try:
        for event in start(cancel):
            if isinstance(event, TextDelta):
                if stream:
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
            elif isinstance(event, Budget):
                note_dropped(event)
            else:
                finished = event
    except EngineCrashedError:
        if stream:  # the text that streamed stays on its own line; the error follows on stderr
            sys.stdout.write("\n")
            sys.stdout.flush()
        raise
    finally:
        if on_main:
            signal.signal(signal.SIGINT, previous)
    if stream:
        sys.stdout.write("\n")
        sys.stdout.flush()
    assert finished is not None
    return finished


def note_dropped(budget: Budget) -> None:
    """Say on stderr when old messages no longer fit (the GUI shows the same notice)."""
    if budget.dropped > 0:
        print(f"candeia-cli: note: the conversation is longer than the context ({budget.context_size} tokens): "
              f"the oldest {budget.dropped} messages are left out", file=sys.stderr)


def interactive(session: ChatSession, history: list[Message], sampling: SamplingOptions, as_json: bool) -> int:
    tty = sys.stdin.isatty()
    info = session.model.info
    if tty:
        print(f"Chatting with {info.name or info.path.name}. /reset clears, /exit or Ctrl-D quits.", file=sys.stderr)
    system = history[:1] if history and history[0]["role"] == "system" else []
    while True:
        try:
            if tty:
                sys.stderr.write("> ")
                sys.stderr.flush()
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            return 0
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/exit", "/quit"):
            return 0
        if text == "/reset":
            history[:] = list(system)
            continue
        history.append(Message(role="user", content=text))
        result = reply(lambda cancel: session.send(history, sampling, cancel), stream=not as_json)
        if result.stats.stop_reason == "cancelled" and tty:
            print("(stopped)", file=sys.stderr)
        if as_json:
            print(json.dumps({"text": result.text, "stats": result.stats.public()}, ensure_ascii=False), flush=True)
        history.append(Message(role="assistant", content=result.text))
