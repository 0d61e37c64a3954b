"""How a page runs model work: `PageWorker`, one background thread per page, newest run wins.

In the spirit of anki's `CollectionOp` and superqt's generator workers. A page hands `run` a
function (or a generator) that calls engines/; it gets a `Job` (its cancel token, and `report`
or `progress` for progress) and runs on the page's one worker thread, so every job of the page
runs in order and a model the page keeps is only ever touched there. The page's callbacks run
on the UI thread:

    self.worker = PageWorker("documents", self)
    run = self.worker.run(lambda job: index.ask(question, cancel=job.cancel, progress=job.progress),
                          on_result=self._show_answer, on_progress=self._show_progress,
                          on_error=self._show_error, on_done=self._idle)

Runs are numbered per `slot`. Starting a run cancels the slot's run before it, and only the newest
run's callbacks are called: a result that a cancelled run finished anyway is dropped, so fast
typing never shows an older text's answer. `on_error` gets `Cancelled` too (say "stopped", or
ignore it); `on_done` always comes last, once the run has ended (its result is or is not shown).
`then` queues housekeeping (freeing a model) after the runs already started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.workers import Job, Task, TaskRunner

Callback = Callable[[Any], None]


@dataclass
class Run:
    """One run of a slot: its number (1, 2, … per worker), its task, and when it started."""

    number: int
    slot: str
    task: Task
    started: float = field(default_factory=time.perf_counter)

    def cancel(self) -> None:
        self.task.cancel.cancel()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class PageWorker(QObject):
    """A page's model work on one thread, in order; the newest run of each slot is the one shown."""

    busy_changed = Signal(bool)  # a run started (True) or the last run of every slot ended (False)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._runner = TaskRunner(name, 1, self)
        self._current: dict[str, Run] = {}
        self.runs = 0  # runs started so far: the last run's number

    def run(self, fn: Callable[[Job], Any], *, slot: str = "run", on_result: Callback | None = None,
            on_progress: Callback | None = None, on_error: Callback | None = None,
            on_done: Callable[[], None] | None = None) -> Run:
        """Cancel the slot's run, start `fn(job)`; a generator's yields and `job.report` go to `on_progress`."""
        if (older := self._current.get(slot)) is not None:
            older.cancel()
        self.runs += 1
        run = Run(self.runs, slot, self._runner.start_job(f"{self.name} {slot} {self.runs}", fn))
        was_busy = bool(self._current)
        self._current[slot] = run

        def newest(callback: Callback | None) -> Callback:
            return lambda value: callback(value) if callback is not None and self._current.get(slot) is run else None

        run.task.progressed.connect(newest(on_progress))
        run.task.succeeded.connect(newest(on_result))
        run.task.failed.connect(newest(on_error))
        run.task.done.connect(lambda: self._ended(run, on_done))
        if not was_busy:
            self.busy_changed.emit(True)
        return run

    def _ended(self, run: Run, on_done: Callable[[], None] | None) -> None:
        if self._current.get(run.slot) is not run:
            return  # replaced by a newer run: that one reports
        del self._current[run.slot]
        if on_done is not None:
            on_done()
        if not self._current:
            self.busy_changed.emit(False)

    def then(self, name: str, fn: Callable[[], object]) -> None:
        """Run `fn()` on the worker after the runs already started (free a model without a race)."""
        if not self._runner.closed:
            self._runner.start(f"{self.name} {name}", lambda cancel: fn())

    def current(self, slot: str = "run") -> Run | None:
        """The slot's newest run while it has not ended."""
        return self._current.get(slot)

    @property
    def busy(self) -> bool:
        """True while any job (a run or a `then`) is queued or running."""
        return self._runner.busy

    def cancel(self, slot: str | None = None) -> None:
        """Cancel the slot's run (every slot's when None); its `on_error` gets Cancelled if it stops early."""
        for key, run in list(self._current.items()):
            if slot is None or key == slot:
                run.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel everything and wait for the thread; True when it stopped. Later calls to `run` raise."""
        return self._runner.shutdown(timeout_ms)
