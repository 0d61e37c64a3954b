"""The Documents page: knowledge bases, their files and indexing, and questions answered with cited sources.

Everything that touches a knowledge base runs off the UI thread: listing and indexing on the page's
own worker (one at a time, in order), asking on the model session's worker with the loaded chat
model (the same thread that streams chat replies, so a question never races a reply or a load).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.pages.documents.ask_panel import AskPanel
from desktop.pages.documents.backend import CoreBackend, DocumentsBackend
from desktop.pages.documents.file_table import FileTable
from desktop.pages.documents.indexing import Indexer
from desktop.pages.documents.new_kb_dialog import NewKnowledgeBaseDialog
from desktop.session import error_text
from desktop.workers import Task, TaskRunner
from engines.jobs import CancelToken
from engines.kb.api import Answer, AnswerDelta, IndexProgress, IndexReport, KBStatus
from engines.llama.chat_model import ChatModel

ModelJob = Callable[[ChatModel, CancelToken], Any]
ModelRunner = Callable[[str, ModelJob], Task]  # runs a job with the loaded chat model on its worker


class DocumentsPage(QWidget):
    knowledge_bases_changed = Signal(list)  # the names, for the chat page's toggle

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, backend: DocumentsBackend | None = None,
                 model_runner: ModelRunner | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.ctx = ctx
        self.backend: DocumentsBackend = backend or CoreBackend()
        self.model_runner: ModelRunner = model_runner or ctx.session.run_with_model
        self.ensure_chat_model: Callable[[], bool] = lambda: ctx.session.model is not None
        self.runner = TaskRunner("documents", 1, self)
        self.indexer = Indexer(self.backend, self.runner, self)
        self.indexer.progressed.connect(self._on_progress)
        self.indexer.finished.connect(self._on_indexed)
        self.indexer.failed.connect(self._on_index_failed)
        self.indexer.state_changed.connect(self._update_actions)
        self.statuses: dict[str, KBStatus] = {}
        self.ask_task: Task | None = None
        self._shown = ""  # the knowledge base whose details are on screen
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        row.addWidget(splitter)
        splitter.addWidget(self._build_list())
        self.stack = QStackedWidget()
        self.empty = QLabel(self.tr("A knowledge base answers questions from your own files (PDF, Word, Markdown, "
                                    "text, HTML, source code) with the passages it used, all on this computer.\n\n"
                                    "Create one with New, then add files or folders."))
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setContentsMargins(64, 0, 64, 0)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._build_detail())
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 800])
        self.refresh()

    # -- widgets -------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(12, 10, 6, 10)
        title = QLabel(self.tr("Knowledge bases"))
        title.setObjectName("muted")
        column.addWidget(title)
        self.kb_list = QListWidget()
        self.kb_list.setAccessibleName(self.tr("Knowledge bases"))
        self.kb_list.currentTextChanged.connect(self._show_current)
        column.addWidget(self.kb_list, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New…"))
        self.new_button.clicked.connect(self.new_dialog)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Delete the index (your files are not touched)"))
        self.remove_button.clicked.connect(lambda: self.remove_current())
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.remove_button)
        column.addLayout(buttons)
        box.setMinimumWidth(190)
        return box

    def _build_detail(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(6, 10, 12, 10)
        self.title = QLabel()
        self.title.setObjectName("cardTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.details = QLabel()
        self.details.setObjectName("muted")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.title)
        column.addWidget(self.details)
        column.addLayout(self._build_toolbar())
        progress = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Indexing progress"))
        self.progress.setMaximumWidth(240)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("muted")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        progress.addWidget(self.progress)
        progress.addWidget(self.progress_label, 1)
        column.addLayout(progress)
        parts = QSplitter(Qt.Orientation.Vertical)
        parts.setChildrenCollapsible(False)
        self.files = FileTable()
        self.ask = AskPanel()
        self.ask.ask_requested.connect(self.ask_question)
        self.ask.stop_requested.connect(self.stop_asking)
        parts.addWidget(self.files)
        parts.addWidget(self.ask)
        parts.setSizes([260, 300])
        column.addWidget(parts, 1)
        return box

    def _build_toolbar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.add_files_button = QPushButton(self.tr("Add files…"))
        self.add_files_button.clicked.connect(self._add_files_dialog)
        self.add_folder_button = QPushButton(self.tr("Add folder…"))
        self.add_folder_button.clicked.connect(self._add_folder_dialog)
        self.rescan_button = QPushButton(self.tr("Re-scan"))
        self.rescan_button.setToolTip(self.tr("Index new and changed files, drop deleted ones"))
        self.rescan_button.clicked.connect(self.rescan)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop indexing; files already indexed stay"))
        self.cancel_button.clicked.connect(self.indexer.cancel)
        for button in (self.add_files_button, self.add_folder_button, self.rescan_button, self.pause_button,
                       self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    # -- the list ------------------------------------------------------------------------------
    def current(self) -> str:
        item = self.kb_list.currentItem()
        return item.text() if item is not None else ""

    def refresh(self, select: str | None = None) -> Task:
        """Re-read the knowledge bases (on the worker); `select` one by name afterwards."""
        task = self.runner.start("list knowledge bases", lambda cancel: self.backend.knowledge_bases())
        wanted = select or self.current()
        task.succeeded.connect(lambda statuses: self._show_list(statuses, wanted))
        task.failed.connect(lambda error: self.progress_label.setText(error_text(error)))
        return task

    def _show_list(self, statuses: list[KBStatus], wanted: str) -> None:
        self.statuses = {s.name: s for s in statuses}
        self.kb_list.blockSignals(True)
        self.kb_list.clear()
        self.kb_list.addItems(sorted(self.statuses, key=str.casefold))
        self.kb_list.blockSignals(False)
        names = sorted(self.statuses, key=str.casefold)
        if names:
            self.kb_list.setCurrentRow(names.index(wanted) if wanted in names else 0)
        self._show_current(self.current())
        self.knowledge_bases_changed.emit(names)

    def _show_current(self, name: str) -> None:
        status = self.statuses.get(name)
        self.stack.setCurrentIndex(1 if status else 0)
        if status is None:
            self._update_actions()
            return
        self.title.setText(name)
        self.details.setText(self.tr("{model} · {files} files · {chunks} passages · {size:.1f} MB").format(
            model=Path(status.embed_model).name, files=status.files, chunks=status.chunks, size=status.bytes / 1e6))
        task = self.runner.start("list files", lambda cancel: self.backend.files(name))
        task.succeeded.connect(lambda files: self.files.show_files(files) if self.current() == name else None)
        if name != self._shown and not self.indexer.running:  # a message about the last one is kept
            self.progress_label.setText(self.tr("Indexing was interrupted. Resume to finish it.")
                                        if self.indexer.paused(name) else "")
        self._shown = name
        self._update_actions()

    def _update_actions(self) -> None:
        name = self.current()
        indexing_this = self.indexer.running and self.indexer.name == name
        for button in (self.add_files_button, self.add_folder_button, self.rescan_button):
            button.setEnabled(bool(name) and not self.indexer.running)
        self.remove_button.setEnabled(bool(name) and not indexing_this)
        paused = bool(name) and self.indexer.paused(name)
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.pause_button.setEnabled(indexing_this or (paused and not self.indexer.running))
        self.cancel_button.setEnabled(indexing_this or paused)
        self.progress.setVisible(indexing_this)

    # -- creating and removing -----------------------------------------------------------------
    def embedding_models(self) -> list[tuple[str, str]]:
        return [(m.id, m.name) for m in self.ctx.installed() if "embed" in m.tasks]

    def new_dialog(self) -> None:
        dialog = NewKnowledgeBaseDialog(self.embedding_models(), list(self.statuses), self)
        if dialog.exec():
            self.create_kb(*dialog.chosen())

    def create_kb(self, name: str, embed_model: str | None) -> Task:
        task = self.runner.start("create knowledge base", lambda cancel: self.backend.create(name, embed_model))
        task.succeeded.connect(lambda _: self.refresh(select=name))
        task.failed.connect(lambda error: self._warn(self.tr("The knowledge base was not created"), error))
        return task

    def remove_current(self, confirm: bool = True) -> Task | None:
        name = self.current()
        if not name or (self.indexer.running and self.indexer.name == name):
            return None
        if confirm and QMessageBox.question(
                self, self.tr("Remove {name}?").format(name=name),
                self.tr("The index of {name} is deleted. Your documents are not touched.").format(name=name),
        ) != QMessageBox.StandardButton.Yes:
            return None
        self.indexer.forget(name)
        task = self.runner.start("remove knowledge base", lambda cancel: self.backend.remove(name))
        task.succeeded.connect(lambda _: self.refresh())
        task.failed.connect(lambda error: self._warn(self.tr("The knowledge base was not removed"), error))
        return task

    def _warn(self, title: str, error: object) -> None:
        self.progress_label.setText(f"{title}: {error_text(error)}")

    # -- indexing ------------------------------------------------------------------------------
    def _add_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add files"), str(Path.home()),
                                                self.tr("Documents (*.pdf *.docx *.md *.markdown *.txt *.html *.htm "
                                                        "*.py *.js *.ts *.java *.c *.cpp *.h *.rs *.go *.rb);;"
                                                        "All files (*)"))
        if files:
            self.add_paths([Path(f) for f in files])

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), str(Path.home()))
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> bool:
        return self._start(paths)

    def rescan(self) -> bool:
        return self._start(None)

    def _start(self, paths: list[Path] | None) -> bool:
        name = self.current()
        if not name or not self.indexer.start(name, paths):
            return False
        self.progress.setRange(0, 0)
        self.progress_label.setText(self.tr("Looking for files…"))
        return True

    def _pause_or_resume(self) -> None:
        if self.indexer.running:
            self.indexer.pause()
            self.progress_label.setText(self.tr("Pausing after the current file…"))
        else:
            self.rescan()

    def _on_progress(self, name: str, item: IndexProgress) -> None:
        if name != self.current():
            return
        self.progress.setRange(0, max(1, item.files_total))
        self.progress.setValue(item.files_done)
        text = self.tr("{done} of {total} files · {chunks} passages").format(
            done=item.files_done, total=item.files_total, chunks=item.chunks_done)
        self.progress_label.setText(f"{text} · {Path(item.current).name}" if item.current else text)
        if item.finished is not None:  # the table follows the run file by file
            self.files.show_outcome(item.finished)

    def _on_indexed(self, name: str, report: IndexReport) -> None:
        if report.cancelled:
            text = (self.tr("Paused. Resume to finish indexing.") if self.indexer.pausing
                    else self.tr("Cancelled. The files indexed so far stay."))
        else:
            text = self.tr("Done: {indexed} indexed, {unchanged} unchanged, {skipped} skipped, {removed} removed "
                           "in {seconds:.1f} s.").format(
                indexed=report.count("indexed"), unchanged=report.count("unchanged"),
                skipped=report.count("skipped") + report.count("failed"), removed=report.count("removed"),
                seconds=report.seconds)
        self.refresh(select=name)
        if name == self.current():
            for outcome in report.files:
                self.files.show_outcome(outcome)
        self.progress_label.setText(text)

    def _on_index_failed(self, name: str, message: str) -> None:
        self.progress_label.setText(self.tr("Indexing {name} failed: {error}").format(name=name, error=message))

    # -- asking --------------------------------------------------------------------------------
    def ask_question(self, question: str) -> Task | None:
        name = self.current()
        if not name or self.ask_task is not None:
            return None
        if not self.ensure_chat_model():
            self.ask.fail(self.tr("Install or import a chat model first (see the Models page): it writes the answer."))
            return None
        backend = self.backend

        def job(model: ChatModel, cancel: CancelToken) -> Iterator[object]:
            yield from backend.ask(name, question, model, cancel)

        self.ask.start()
        task = self.model_runner("kb ask", job)
        self.ask_task = task
        task.progressed.connect(self._on_answer_event)
        task.failed.connect(lambda error: self.ask.fail(error_text(error)))
        task.done.connect(self._on_answer_done)
        return task

    def _on_answer_event(self, event: object) -> None:
        if isinstance(event, AnswerDelta):
            self.ask.append(event.text)
        elif isinstance(event, Answer):
            self.ask.finish(event)

    def _on_answer_done(self) -> None:
        self.ask_task = None
        self.ask.set_running(False)

    def stop_asking(self) -> None:
        if self.ask_task is not None:
            self.ask_task.cancel.cancel()
            self.ctx.session.stop()

    def shutdown(self) -> None:
        self.indexer.pause()  # an unfinished run is offered for Resume next time
        self.runner.shutdown()
