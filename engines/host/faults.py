"""Test-only fault injection for engine hosts: make a host fail for real at a chosen point.

`CANDEIA_HOST_FAULT` holds comma-separated rules `ACTION:POINT[?CONDITION]`:
- ACTION: `crash` (a real access violation: SIGSEGV), `abort` (SIGABRT), `hang` (sleep for ever),
  `oom` (allocate until the allocator refuses);
- POINT: `load` (before llama.cpp reads the file), `batch` (the first decode of more than one
  token, where llama.cpp's batched kernels run), `token=N` (when the N-th generated token is fed);
- CONDITION: `repack` (only while llama.cpp's extra buffer types are on, as the AMX crash does),
  `gpu` (only with layers offloaded).

Example: `crash:batch?repack` behaves like llama.cpp's AMX kernels on an affected CPU.
Nothing here runs unless the variable is set.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ENV = "CANDEIA_HOST_FAULT"
ACTIONS = ("crash", "abort", "hang", "oom")


@dataclass(frozen=True)
class Rule:
    action: str
    point: str  # "load", "batch" or "token"
    token: int = 0
    condition: str | None = None


def parse(text: str | None) -> list[Rule]:
    rules: list[Rule] = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        spec, _, condition = item.partition("?")
        action, _, point = spec.partition(":")
        token = 0
        if point.startswith("token="):
            point, token = "token", int(point.removeprefix("token="))
        if action not in ACTIONS or point not in ("load", "batch", "token"):
            raise ValueError(f"{ENV}: cannot read the rule {item!r}")
        rules.append(Rule(action, point, token, condition or None))
    return rules


def fail(action: str) -> None:
    if action == "crash":
        ctypes.string_at(0)  # reads address 0: the same signal a native bug raises
    elif action == "abort":
        os.abort()
    elif action == "hang":
        while True:
            time.sleep(3600)
    elif action == "oom":
        hoard: list[bytearray] = []
        while True:  # until the allocator says no (RLIMIT_AS, or the machine's memory)
            hoard.append(bytearray(64 << 20))


class Faults:
    def __init__(self, rules: Sequence[Rule], *, extra_buffers: bool, gpu_layers: int) -> None:
        def applies(rule: Rule) -> bool:
            if rule.condition == "repack":
                return extra_buffers
            if rule.condition == "gpu":
                return gpu_layers != 0
            return True

        self.rules = [r for r in rules if applies(r)]

    @classmethod
    def from_env(cls, *, extra_buffers: bool, gpu_layers: int) -> Faults:
        return cls(parse(os.environ.get(ENV)), extra_buffers=extra_buffers, gpu_layers=gpu_layers)

    def at(self, point: str, token: int = 0) -> None:
        for rule in self.rules:
            if rule.point == point and (point != "token" or rule.token == token):
                if point == "token":
                    time.sleep(0.3)  # let the text streamed so far reach the client, so tests can check it is kept
                fail(rule.action)

    def wrap_decoder(self, native: Any, point: str) -> None:
        """Hook the engine's decoder so `batch` or `token=N` fires where llama.cpp would fail.
        (`token` is hooked after the first-load check, so N counts the tokens of real replies.)"""
        if native is None or not any(r.point == point for r in self.rules):
            return
        if point == "batch":
            prefill: Callable[[Sequence[int]], int] = native.prefill

            def checked_prefill(tokens: Sequence[int]) -> int:
                if len(tokens) - native.cached_tokens > 1:
                    self.at("batch")
                return prefill(tokens)

            native.prefill = checked_prefill
            return
        feed: Callable[[int], None] = native.feed
        fed = [0]

        def checked_feed(token: int) -> None:
            fed[0] += 1
            self.at("token", fed[0])
            feed(token)

        native.feed = checked_feed
