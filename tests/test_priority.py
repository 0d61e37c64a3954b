"""Background work runs nicer than the UI thread, and only the thread (or child) that asks."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from engines.download import DownloadManager
from engines.system import priority

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")


def _niceness(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


@linux_only
def test_lowering_a_thread_leaves_the_others_alone() -> None:
    main_before = _niceness(threading.get_native_id())
    seen: dict[str, int | bool] = {}

    def work() -> None:
        tid = threading.get_native_id()
        before = _niceness(tid)
        seen["lowered"] = priority.lower_this_thread()
        seen["delta"] = _niceness(tid) - before

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert seen["lowered"] is True
    assert seen["delta"] == min(priority.BACKGROUND_NICENESS, 19 - main_before)
    assert _niceness(threading.get_native_id()) == main_before


@linux_only
def test_download_workers_run_nicer_than_their_caller() -> None:
    with DownloadManager(max_parallel=1) as manager:
        [worker] = manager._workers
        assert worker.native_id is not None
        for _ in range(100):  # the worker lowers itself first thing; give it a moment
            if _niceness(worker.native_id) > _niceness(threading.get_native_id()):
                break
            threading.Event().wait(0.01)
        assert _niceness(worker.native_id) > _niceness(threading.get_native_id())


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process niceness here")
def test_a_child_process_can_lower_itself() -> None:
    import subprocess

    code = ("import os; from engines.system import priority; b = os.nice(0); priority.lower_this_process(); "
            "print(os.nice(0) - b)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert int(out.stdout) == min(priority.BACKGROUND_NICENESS, 19 - os.nice(0))
