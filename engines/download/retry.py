"""Retry timing: exponential backoff with jitter, and the server's Retry-After when it sends one."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8  # consecutive failures without any progress before giving up
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 600.0  # a server asking for longer than this is treated as failing
    stall_timeout: float = 30.0  # no byte for this long: drop the connection and resume
    connect_timeout: float = 20.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** max(failures - 1, 0))
        return backoff * (0.8 + 0.4 * random.random())  # jitter so parallel clients do not retry in step


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
