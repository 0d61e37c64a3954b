"""Let background work yield the CPU to the UI thread.

On a small machine a download's hashing, a model probe's start-up and the UI thread all want the
same cores; the scheduler shares them evenly unless told otherwise, and the UI stalls. Work that
nobody watches tick by tick runs a few nice levels lower. Best effort: where the OS has no
per-thread niceness (macOS, Windows) or refuses, nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

BACKGROUND_NICENESS = 5


def lower_this_thread() -> bool:
    """Make the calling thread `BACKGROUND_NICENESS` levels nicer (Linux threads are scheduled alone)."""
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + BACKGROUND_NICENESS))
        return True
    return False


def lower_this_process() -> bool:
    """Make the whole (child) process nicer; used by helper processes such as the model probe."""
    if not hasattr(os, "nice"):
        return False
    with contextlib.suppress(OSError):
        os.nice(BACKGROUND_NICENESS)
        return True
    return False
