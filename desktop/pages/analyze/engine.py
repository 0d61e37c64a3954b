"""The Analyze page's model work: one analyzer on the page's `PageWorker`, kept between runs.

The analyzer is reopened only when the model or the task changes, and closed on the worker (or
after it stopped, when the page shuts down). It holds the model owner's `analyze` slot, so the
owner may ask for it back to stay within the memory budget: it is closed after the run in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject

from desktop.model_slot import SlotEngine
from desktop.page_worker import Callback, Run
from desktop.workers import Job
from engines.analysis.results import AnalysisOptions, AnalysisTask, Analyzer
from engines.analysis.rows import Row
from engines.analysis.run import analyze_stream
from engines.system.model_owner import ModelOwner

SLOT = "analyze"  # the model owner's name for the analyzer this page keeps
BATCH = 16  # rows per batch: results appear (and a Stop is honoured) at least this often
Opener = Callable[[AnalysisTask, str, int | None], Analyzer]


def open_analyzer(task: AnalysisTask, model: str, threads: int | None) -> Analyzer:
    from engines.analysis.open import open_analyzer as open_model

    return open_model(task, model, threads=threads)


class AnalyzeEngine(SlotEngine):
    def __init__(self, threads: int | None = None, parent: QObject | None = None, owner: ModelOwner | None = None,
                 model_bytes: Callable[[str], int] | None = None, opener: Opener = open_analyzer) -> None:
        super().__init__("analyze", SLOT, threads, parent, owner, model_bytes)
        self._opener = opener
        self._analyzer: Analyzer | None = None  # touched only on the worker's thread (or after it stopped)
        self._key: tuple[str, str] | None = None

    def _open(self, task: AnalysisTask, model: str) -> Analyzer:
        if self._analyzer is not None and self._key == (task, model):
            return self._analyzer
        self._close()
        self._analyzer = self._opener(task, model, self._threads)
        self._key = (task, model)
        return self._analyzer

    def _close(self) -> None:
        if self._analyzer is not None:
            analyzer, self._analyzer, self._key = self._analyzer, None, None
            analyzer.close()

    def analyze(self, task: AnalysisTask, model: str, rows: Callable[[], Iterable[Row]], options: AnalysisOptions,
                *, on_progress: Callback, on_result: Callback, on_error: Callback,
                on_done: Callable[[], None]) -> Run:
        """`on_progress` gets each batch's results (a list of `Done`) in order; `on_result` the row count."""

        def job(job: Job) -> int:
            analyzer = self._open(task, model)
            job.cancel.raise_if_cancelled()
            return analyze_stream(analyzer, rows(), options, batch=BATCH, cancel=job.cancel, on_batch=job.report)

        self._slot.claim(model)
        return self.worker.run(job, on_progress=on_progress, on_result=on_result, on_error=on_error,
                               on_done=on_done)

    def cancel(self) -> None:
        self.worker.cancel()

    def shutdown(self) -> None:
        self._slot.shutdown()
