"""The Analyze page: paste a text or open a CSV, pick a task and a model, see the results as they come.

Models are the installed analysis models for the task, and every GGUF chat model for sentiment,
classify and zero-shot (labels typed by the user, kept to by llama.cpp's grammar). The work runs on
the page's `PageWorker` (engine.py); batches of results arrive on the UI thread and fill the
table, the label chart and, for the selected row, the highlighted text.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.pages.analyze.chart import LabelChart
from desktop.pages.analyze.details import details_html
from desktop.pages.analyze.engine import AnalyzeEngine, Opener, open_analyzer
from desktop.pages.analyze.models import analysis_models
from desktop.pages.analyze.results_model import ResultsModel
from desktop.pages.common import heading, page_layout
from desktop.session import error_text
from engines.analysis.llm import LLM_TASKS
from engines.analysis.output import Done, export
from engines.analysis.results import ANALYSIS_TASKS, AnalysisOptions, AnalysisTask
from engines.analysis.rows import Columns, Row, make_row, read_rows
from engines.errors import CandeiaError
from engines.jobs import Cancelled
from engines.store.model_store import ModelFormat


class AnalyzePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, opener: Opener = open_analyzer) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = AnalyzeEngine(ctx.settings.threads, self, ctx.models, ctx.model_bytes, opener)
        self.source: Path | None = None  # the CSV (or JSONL, TXT) being analysed instead of the pasted text
        self.results = ResultsModel()
        layout = page_layout(self)
        layout.addWidget(heading(self.tr("Analyze")))
        layout.addLayout(self._build_choices())
        layout.addWidget(self._build_input())
        layout.addLayout(self._build_actions())
        layout.addWidget(self._build_results(), 1)
        self.task.currentIndexChanged.connect(self.refresh_models)
        self.model.currentIndexChanged.connect(self._update_fields)
        ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()

    # -- building ---------------------------------------------------------------------------------
    def task_names(self) -> dict[AnalysisTask, str]:
        return {"sentiment": self.tr("Sentiment"), "classify": self.tr("Classify (topics)"),
                "zero-shot": self.tr("Zero-shot labels"), "entities": self.tr("Entities (names, places)"),
                "qa": self.tr("Question answering")}

    def _build_choices(self) -> QGridLayout:
        grid = QGridLayout()
        self.task = QComboBox()
        for task in ANALYSIS_TASKS:
            self.task.addItem(self.task_names()[task], task)
        self.task.setAccessibleName(self.tr("Task"))
        self.model = QComboBox()
        self.model.setAccessibleName(self.tr("Model"))
        self.model.setMinimumContentsLength(24)
        self.labels = QLineEdit()
        self.labels.setPlaceholderText(self.tr("Labels, separated by commas: praise, complaint, question"))
        self.labels.setAccessibleName(self.tr("Labels"))
        self.multi_label = QCheckBox(self.tr("Several labels per text"))
        self.question = QLineEdit()
        self.question.setPlaceholderText(self.tr("The question to answer from each text"))
        self.question.setAccessibleName(self.tr("Question"))
        self.no_model = QLabel()
        self.no_model.setObjectName("muted")
        self.no_model.setWordWrap(True)
        self.labels_label, self.question_label = QLabel(self.tr("Labels")), QLabel(self.tr("Question"))
        grid.addWidget(QLabel(self.tr("Task")), 0, 0)
        grid.addWidget(self.task, 0, 1)
        grid.addWidget(QLabel(self.tr("Model")), 0, 2)
        grid.addWidget(self.model, 0, 3)
        grid.addWidget(self.labels_label, 1, 0)
        grid.addWidget(self.labels, 1, 1, 1, 2)
        grid.addWidget(self.multi_label, 1, 3)
        grid.addWidget(self.question_label, 2, 0)
        grid.addWidget(self.question, 2, 1, 1, 3)
        grid.addWidget(self.no_model, 3, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return grid

    def _build_input(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("Paste a text here, or open a CSV file with one text per row"))
        self.text.setAccessibleName(self.tr("Text to analyse"))
        self.text.setMaximumHeight(110)
        side = QVBoxLayout()
        self.open_button = QPushButton(self.tr("Open CSV…"))
        self.open_button.clicked.connect(self.choose_file)
        self.file_label = QLabel()
        self.file_label.setObjectName("muted")
        self.file_label.setWordWrap(True)
        self.column = QComboBox()
        self.column.setAccessibleName(self.tr("Text column"))
        self.clear_file = QPushButton(self.tr("Use the pasted text"))
        self.clear_file.clicked.connect(lambda: self.set_source(None))
        for widget in (self.open_button, self.file_label, self.column, self.clear_file):
            side.addWidget(widget)
        side.addStretch(1)
        row.addWidget(self.text, 1)
        row.addLayout(side)
        self.set_source(None)
        return box

    def _build_actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.run_button = QPushButton(self.tr("Analyze"))
        self.run_button.setObjectName("primary")
        self.run_button.clicked.connect(self.analyze)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.clicked.connect(self.engine.cancel)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.clicked.connect(self.choose_export)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("muted")
        for widget in (self.run_button, self.stop_button, self.export_button, self.progress):
            row.addWidget(widget)
        row.addWidget(self.status, 1)
        self._set_running(False)
        return row

    def _build_results(self) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableView()
        self.table.setModel(self.results)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(self.tr("Results"))
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(heading(self.tr("Labels"), "subtitle"))
        self.chart = LabelChart()
        column.addWidget(self.chart)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setAccessibleName(self.tr("Selected row"))
        self.details.setPlaceholderText(self.tr("Select a row to see its details"))
        column.addWidget(self.details, 1)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        return splitter

    # -- choices ----------------------------------------------------------------------------------
    def current_task(self) -> AnalysisTask:
        task: AnalysisTask = self.task.currentData()
        return task

    def refresh_models(self) -> None:
        task, current = self.current_task(), self.model.currentData()
        models = analysis_models(task, self.ctx.installed())
        self.model.blockSignals(True)
        self.model.clear()
        for model in models:
            kind = self.tr("chat model") if model.format is ModelFormat.gguf else "ONNX"
            self.model.addItem(f"{model.name} ({kind})", model.id)
        index = self.model.findData(current) if current else -1
        self.model.setCurrentIndex(index if index >= 0 else (0 if models else -1))
        self.model.blockSignals(False)
        self.no_model.setText("" if models else self.tr(
            "No model for this task is installed. Sentiment, classify and zero-shot work with any chat model; "
            "entities and question answering need an analysis model from the Models page."))
        self.no_model.setVisible(not models)
        self._update_fields()

    def is_chat_model(self) -> bool:
        model_id = self.model.currentData()
        return any(m.id == model_id and m.format is ModelFormat.gguf for m in self.ctx.installed())

    def _update_fields(self) -> None:
        task = self.current_task()
        wants_labels = task == "zero-shot" or (task in LLM_TASKS and self.is_chat_model())
        for widget in (self.labels_label, self.labels, self.multi_label):
            widget.setVisible(wants_labels)
        for widget in (self.question_label, self.question):
            widget.setVisible(task == "qa")
        self._set_running(self.engine.worker.current() is not None)

    # -- input ------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Open a file of texts"), "",
                                              self.tr("Texts (*.csv *.jsonl *.txt)"))
        if name:
            self.set_source(Path(name))

    def set_source(self, path: Path | None) -> None:
        self.source = path
        self.column.clear()
        header = csv_header(path) if path is not None and path.suffix.lower() == ".csv" else []
        for name in header:
            self.column.addItem(name, name)
        if "text" in header:
            self.column.setCurrentIndex(header.index("text"))
        self.column.setVisible(bool(header))
        self.file_label.setText(path.name if path is not None else "")
        self.file_label.setVisible(path is not None)
        self.clear_file.setVisible(path is not None)
        self.text.setEnabled(path is None)

    def rows(self) -> Callable[[], Iterator[Row]]:
        """The rows to analyse, read on the worker: what they need is taken from the widgets here."""
        question = self.question.text().strip() if self.current_task() == "qa" else None
        columns = Columns(text=self.column.currentData(), fixed_question=question)
        source, text = self.source, self.text.toPlainText()
        if source is not None:
            return lambda: read_rows(source, columns)
        return lambda: iter([make_row(0, text, None, columns)])

    def options(self) -> AnalysisOptions:
        labels = tuple(label.strip() for label in self.labels.text().split(",") if label.strip())
        return AnalysisOptions(labels=labels if self.labels.isVisible() else (),
                               multi_label=self.multi_label.isVisible() and self.multi_label.isChecked())

    def problem(self) -> str | None:
        """Why Analyze cannot start, in one sentence; None when it can."""
        if self.model.currentData() is None:
            return self.tr("Pick a model first.")
        if self.source is None and not self.text.toPlainText().strip():
            return self.tr("Paste a text or open a CSV file first.")
        if self.current_task() == "zero-shot" and not self.options().labels:
            return self.tr("Type the labels to choose from, separated by commas.")
        if self.current_task() == "qa" and not self.question.text().strip():
            return self.tr("Type the question to answer.")
        return None

    # -- running ----------------------------------------------------------------------------------
    def analyze(self) -> None:
        problem = self.problem()
        if problem is not None:
            self.status.setText(problem)
            return
        self.results.clear()
        self.chart.set_counts(self.results.counts)
        self.details.clear()
        self.status.setText(self.tr("Loading the model…"))
        self._set_running(True)
        self.engine.analyze(self.current_task(), str(self.model.currentData()), self.rows(), self.options(),
                            on_progress=self._on_batch, on_result=self._on_finished, on_error=self._on_error,
                            on_done=lambda: self._set_running(False))

    def _on_batch(self, batch: list[Done]) -> None:
        self.results.append(batch)
        self.chart.set_counts(self.results.counts)
        self.status.setText(self.tr("Rows analysed: {count}…").format(count=len(self.results.rows)))
        if len(self.results.rows) == len(batch):
            self.table.selectRow(0)

    def _on_finished(self, count: int) -> None:
        noted = sum(1 for done in self.results.rows if done.note or (done.result and done.result.note))
        text = self.tr("Rows analysed: {count}").format(count=count)
        if noted:
            text += " · " + self.tr("with notes: {count}").format(count=noted)
        self.status.setText(text)

    def _on_error(self, error: object) -> None:
        if isinstance(error, Cancelled):
            self.status.setText(self.tr("Stopped. Rows analysed: {count}").format(count=len(self.results.rows)))
        elif isinstance(error, CandeiaError):
            self.status.setText(str(error))
        else:
            self.status.setText(error_text(error))

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self.model.count() > 0)
        self.stop_button.setEnabled(running)
        self.export_button.setEnabled(not running and bool(self.results.rows))
        self.progress.setVisible(running)

    def _show_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            self.details.setHtml(details_html(self.results.rows[rows[0].row()]))

    # -- export -----------------------------------------------------------------------------------
    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export the results"), "results.csv",
                                              self.tr("CSV (*.csv);;JSON Lines (*.jsonl)"))
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        try:
            export(path, self.results.rows)
        except (OSError, CandeiaError) as exc:
            self.status.setText(self.tr("Could not export: {reason}").format(reason=exc))
            return
        self.status.setText(self.tr("Exported to {name} (rows: {count})").format(count=len(self.results.rows),
                                                                                  name=path.name))

    def shutdown(self) -> None:
        self.engine.shutdown()


def csv_header(path: Path) -> list[str]:
    """The first line's column names (empty when the file cannot be read: Analyze then says why)."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, csv.Error):
        return []
