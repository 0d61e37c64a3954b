"""PageWorker: how pages run model work. Newest run wins, progress and errors on the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from desktop.page_worker import PageWorker
from desktop.workers import Job
from engines.jobs import Cancelled


@pytest.fixture
def worker() -> Iterator[PageWorker]:
    worker = PageWorker("test")
    yield worker
    worker.shutdown()


def test_a_new_run_cancels_the_older_and_only_the_newest_reports(qtbot: QtBot, worker: PageWorker) -> None:
    gate = threading.Event()
    results: list[object] = []
    errors: list[object] = []
    done: list[int] = []

    def slow(job: Job) -> str:
        gate.wait(5)
        return "old"  # finishes anyway, though cancelled: must not be shown

    first = worker.run(slow, on_result=results.append, on_error=errors.append, on_done=lambda: done.append(1))
    second = worker.run(lambda job: "new", on_result=results.append, on_error=errors.append,
                        on_done=lambda: done.append(2))
    assert first.task.cancel.cancelled and (first.number, second.number) == (1, 2)
    assert worker.current() is second
    gate.set()
    qtbot.waitUntil(lambda: worker.current() is None, timeout=5_000)
    qtbot.waitUntil(lambda: not worker.busy, timeout=5_000)
    assert results == ["new"] and errors == [] and done == [2] and worker.runs == 2


def test_progress_and_errors_arrive_on_the_ui_thread(qtbot: QtBot, worker: PageWorker) -> None:
    ui = QThread.currentThread()
    seen: list[tuple[object, bool]] = []

    def job(job: Job) -> Iterator[str]:
        job.progress(1, 3)  # an engines/ ProgressCallback
        yield "yielded"  # a generator's yields are progress too
        job.report("reported")
        raise ValueError("bad input")

    errors: list[object] = []
    worker.run(job, on_progress=lambda item: seen.append((item, QThread.currentThread() is ui)),
               on_error=errors.append)
    qtbot.waitUntil(lambda: worker.current() is None, timeout=5_000)
    assert seen == [((1, 3), True), ("yielded", True), ("reported", True)]
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


def test_cancel_reports_cancelled_and_then_runs_after(qtbot: QtBot, worker: PageWorker) -> None:
    order: list[str] = []

    def waits(job: Job) -> None:
        while not job.cancel.wait(0.01):
            pass
        order.append("run")
        job.cancel.raise_if_cancelled()

    errors: list[object] = []
    worker.run(waits, on_error=errors.append)
    worker.then("free model", lambda: order.append("then"))
    worker.cancel()
    qtbot.waitUntil(lambda: not worker.busy, timeout=5_000)
    assert order == ["run", "then"] and len(errors) == 1 and isinstance(errors[0], Cancelled)


def test_slots_run_independently(qtbot: QtBot, worker: PageWorker) -> None:
    results: list[object] = []
    worker.run(lambda job: "single", slot="single", on_result=results.append)
    worker.run(lambda job: "batch", slot="batch", on_result=results.append)  # does not cancel "single"
    qtbot.waitUntil(lambda: not worker.busy, timeout=5_000)
    assert results == ["single", "batch"]
