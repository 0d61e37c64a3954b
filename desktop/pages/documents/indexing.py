"""Indexing runs for the Documents page: one at a time, on a worker, with pause, resume and cancel.

Pausing cancels the run between files: the core commits each file on its own, so everything done
so far stays, and resuming is a re-scan that skips unchanged files. A knowledge base whose run did
not finish (paused, or the app closed or crashed) is remembered in the data folder's window.ini,
so after a restart the page offers Resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from desktop.pages.documents.backend import DocumentsBackend
from desktop.workers import Task, TaskRunner
from engines.jobs import Cancelled, CancelToken
from engines.kb.api import IndexProgress, IndexReport
from engines.paths import data_dir

UNFINISHED_KEY = "documents/unfinished"


def _settings() -> QSettings:
    return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)


def unfinished() -> set[str]:
    value = _settings().value(UNFINISHED_KEY, [])
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
    return {str(name) for name in names if name}


def _remember(name: str, running: bool) -> None:
    names = unfinished()
    names = names | {name} if running else names - {name}
    saved = _settings()
    saved.setValue(UNFINISHED_KEY, sorted(names))
    saved.sync()


class _Relay(QObject):
    """Emitted on the worker thread; connected to the UI thread, so delivery is queued."""

    progressed = Signal(object)  # IndexProgress


class Indexer(QObject):
    progressed = Signal(str, object)  # knowledge base, IndexProgress
    finished = Signal(str, object)  # knowledge base, IndexReport (cancelled when paused or cancelled)
    failed = Signal(str, str)  # knowledge base, one sentence
    state_changed = Signal()

    def __init__(self, backend: DocumentsBackend, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.runner = runner
        self.task: Task | None = None
        self.name = ""  # the knowledge base being indexed
        self.pausing = False
        self._relay = _Relay(self)
        self._relay.progressed.connect(lambda item: self.progressed.emit(self.name, item))

    @property
    def running(self) -> bool:
        return self.task is not None

    def paused(self, name: str) -> bool:
        return not (self.running and self.name == name) and name in unfinished()

    def start(self, name: str, paths: Sequence[Path] | None) -> bool:
        """Add `paths` to `name`, or re-scan it (`paths` None: also how Resume works). False if busy."""
        if self.running:
            return False
        backend, relay = self.backend, self._relay

        def job(cancel: CancelToken) -> IndexReport:
            def progress(item: IndexProgress) -> None:
                relay.progressed.emit(item)

            return backend.index(name, list(paths) if paths is not None else None, progress, cancel)

        _remember(name, True)
        self.name, self.pausing = name, False
        task = self.runner.start(f"index {name}", job)
        self.task = task
        task.succeeded.connect(lambda report: self._succeeded(name, report))
        task.failed.connect(lambda error: self._failed(name, error))
        task.done.connect(self._done)
        self.state_changed.emit()
        return True

    def pause(self) -> None:
        if self.task is not None:
            self.pausing = True
            self.task.cancel.cancel()

    def cancel(self) -> None:
        """Stop and forget the unfinished run (what was committed stays indexed)."""
        if self.task is not None:
            self.pausing = False
            self.task.cancel.cancel()
        elif self.name:
            _remember(self.name, False)
            self.state_changed.emit()

    def forget(self, name: str) -> None:
        _remember(name, False)
        self.state_changed.emit()

    def _succeeded(self, name: str, report: IndexReport) -> None:
        if not (report.cancelled and self.pausing):
            _remember(name, False)
        self.finished.emit(name, report)

    def _failed(self, name: str, error: object) -> None:
        from desktop.session import error_text

        if isinstance(error, Cancelled) or self.pausing:  # a stop that surfaced as an exception
            if not self.pausing:
                _remember(name, False)
            self.finished.emit(name, IndexReport(cancelled=True))
            return
        _remember(name, False)
        self.failed.emit(name, error_text(error))

    def _done(self) -> None:
        self.task = None
        self.state_changed.emit()
