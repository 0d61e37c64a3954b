"""The batch panel: a folder in, a results table out, with progress, cancel, resume and export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from engines.caption import BatchOptions, CaptionResult

RESULTS_NAME = "captions.csv"


def result_error(result: CaptionResult) -> str:
    """An image's reason ("is truncated …") reads as a sentence with the file's name in front."""
    error = result.error or ""
    return f"{result.path.name} {error}" if error[:1].islower() else error


class BatchPanel(QWidget):
    """Collects the batch's settings and shows its results; the page runs it (`start_requested`)."""

    start_requested = Signal()
    cancel_requested = Signal()
    open_requested = Signal(object)  # a CaptionResult double-clicked in the table

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: list[CaptionResult] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        for build in (self._build_folder_row, self._build_options, self._build_output, self._build_actions,
                      self._build_results):
            build(layout)

    def _build_folder_row(self, layout: QVBoxLayout) -> None:
        """The folder of images and Choose."""
        row = QHBoxLayout()
        folder_label = QLabel(self.tr("&Folder:"))
        row.addWidget(folder_label)
        self.folder = QLineEdit()
        folder_label.setBuddy(self.folder)
        self.folder.setPlaceholderText(self.tr("Choose or drop a folder of images"))
        self.folder.setAccessibleName(self.tr("Folder of images"))
        self.folder.textChanged.connect(self._folder_changed)
        row.addWidget(self.folder, 1)
        self.choose = QPushButton(self.tr("Choose folder…"))
        self.choose.setAccessibleName(self.tr("Choose a folder of images"))
        theme.set_icon(self.choose, "folder")
        self.choose.clicked.connect(self._choose_folder)
        row.addWidget(self.choose)
        layout.addLayout(row)

    def _build_options(self, layout: QVBoxLayout) -> None:
        """Subfolders, .txt files beside the images, skipping what an earlier run did."""
        options = QHBoxLayout()
        self.recursive = QCheckBox(self.tr("Include subfolders"))
        self.recursive.setAccessibleName(self.tr("Include images in subfolders"))
        options.addWidget(self.recursive)
        self.sidecar = QCheckBox(self.tr("Write a .txt beside each image"))
        self.sidecar.setAccessibleName(self.tr("Write a caption text file beside each image"))
        self.sidecar.setToolTip(self.tr("photo.jpg gets photo.txt, the convention of training tools"))
        options.addWidget(self.sidecar)
        self.resume = QCheckBox(self.tr("Skip images already captioned"))
        self.resume.setChecked(True)
        self.resume.setAccessibleName(self.tr("Skip images captioned by an earlier run"))
        self.resume.setToolTip(self.tr("Images in the results file (or with a .txt beside them) are not "
                                       "captioned again, so a stopped batch resumes where it stopped"))
        options.addWidget(self.resume)
        options.addStretch(1)
        layout.addLayout(options)

    def _build_output(self, layout: QVBoxLayout) -> None:
        """The results file."""
        out = QHBoxLayout()
        self.save_results = QCheckBox(self.tr("Save results to:"))
        self.save_results.setChecked(True)
        self.save_results.setAccessibleName(self.tr("Save results to a file"))
        out.addWidget(self.save_results)
        self.out = QLineEdit()
        self.out.setPlaceholderText(self.tr("captions.csv in the folder"))
        self.out.setAccessibleName(self.tr("Results file (.csv or .jsonl)"))
        self.out.setToolTip(self.tr("A .csv or .jsonl file; results are added as they are made"))
        self.save_results.toggled.connect(self.out.setEnabled)
        out.addWidget(self.out, 1)
        self.choose_out = QPushButton(self.tr("Change…"))
        self.choose_out.setAccessibleName(self.tr("Choose the results file"))
        self.choose_out.clicked.connect(self._choose_out)
        self.save_results.toggled.connect(self.choose_out.setEnabled)
        out.addWidget(self.choose_out)
        layout.addLayout(out)

    def _build_actions(self, layout: QVBoxLayout) -> None:
        """Start, Cancel, progress and Export."""
        actions = QHBoxLayout()
        self.start = QPushButton(self.tr("Caption folder"))
        self.start.setObjectName("primary")
        self.start.setAccessibleName(self.tr("Caption every image in the folder"))
        theme.set_icon(self.start, "caption", "accent_text")
        self.start.clicked.connect(self.start_requested)
        actions.addWidget(self.start)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setAccessibleName(self.tr("Cancel the batch"))
        theme.set_icon(self.cancel, "stop")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_requested)
        actions.addWidget(self.cancel)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Batch progress"))
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("%v of %m"))
        actions.addWidget(self.progress, 1)
        self.export = QPushButton(self.tr("Export…"))
        self.export.setAccessibleName(self.tr("Export the results table"))
        self.export.setToolTip(self.tr("Save the table as CSV or JSON Lines"))
        theme.set_icon(self.export, "export")
        self.export.setEnabled(False)
        self.export.clicked.connect(self._export_dialog)
        actions.addWidget(self.export)
        layout.addLayout(actions)

    def _build_results(self, layout: QVBoxLayout) -> None:
        """The status line and the results table."""
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setAccessibleName(self.tr("Batch status"))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Caption or error")])
        self.table.setAccessibleName(self.tr("Batch results"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 220)
        self.table.setToolTip(self.tr("Double-click a row to show the image and its caption"))
        self.table.cellDoubleClicked.connect(lambda row, _: self.open_requested.emit(self.results[row]))
        self.save_results.toggled.connect(self._resume_possible)
        self.sidecar.toggled.connect(self._resume_possible)
        layout.addWidget(self.table, 1)

    def _resume_possible(self) -> None:
        """Skipping needs a record of the earlier run: the results file or the .txt files."""
        self.resume.setEnabled(self.save_results.isChecked() or self.sidecar.isChecked())

    # -- settings ------------------------------------------------------------------------------
    def _folder_changed(self, text: str) -> None:
        if text.strip():
            self.out.setPlaceholderText(str(Path(text.strip()) / RESULTS_NAME))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of images"), self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Results file"), str(self.results_file() or ""),
                                              self.tr("CSV (*.csv);;JSON Lines (*.jsonl)"))
        if path:
            self.out.setText(path)

    def folder_path(self) -> Path | None:
        text = self.folder.text().strip()
        return Path(text).expanduser() if text else None

    def results_file(self) -> Path | None:
        if not self.save_results.isChecked():
            return None
        text = self.out.text().strip()
        if text:
            return Path(text).expanduser()
        folder = self.folder_path()
        return folder / RESULTS_NAME if folder is not None else None

    def options(self) -> BatchOptions:
        return BatchOptions(recursive=self.recursive.isChecked(), out=self.results_file(),
                            sidecar=self.sidecar.isChecked(), resume=self.resume.isChecked())

    # -- running -------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        for widget in (self.start, self.folder, self.choose, self.recursive, self.sidecar, self.resume,
                       self.save_results, self.out, self.choose_out):
            widget.setEnabled(not running)
        if not running:
            self.out.setEnabled(self.save_results.isChecked())
            self.choose_out.setEnabled(self.save_results.isChecked())
            self._resume_possible()
        self.cancel.setEnabled(running)
        self.export.setEnabled(not running and bool(self.results))

    def begin(self) -> None:
        self.results = []
        self.table.setRowCount(0)
        self.progress.setRange(0, 0)  # busy until the first image tells the total
        self.status.setText(self.tr("Loading the model and finding images…"))

    def add(self, result: CaptionResult, count: int, total: int) -> None:
        self.results.append(result)
        row = self.table.rowCount()
        self.table.insertRow(row)
        folder = self.folder_path()
        try:
            name = str(result.path.relative_to(folder)) if folder is not None else result.path.name
        except ValueError:
            name = result.path.name
        file_item = QTableWidgetItem(name)
        file_item.setToolTip(str(result.path))
        file_item.setData(Qt.ItemDataRole.UserRole, str(result.path))
        if result.ok:
            text = result.caption or ""
            if result.skipped:
                text = self.tr("{caption} (earlier run)").format(caption=text)
            caption_item = QTableWidgetItem(text)
        else:
            caption_item = QTableWidgetItem(self.tr("Error: {error}").format(error=result_error(result)))
            caption_item.setForeground(QBrush(QColor(theme.current().error)))
        caption_item.setToolTip(caption_item.text())
        self.table.setItem(row, 0, file_item)
        self.table.setItem(row, 1, caption_item)
        self.table.scrollToBottom()
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(count)
        self.status.setText(self.summary())

    def counts(self) -> tuple[int, int, int]:
        captioned = sum(1 for r in self.results if r.ok and not r.skipped)
        skipped = sum(1 for r in self.results if r.skipped)
        failed = sum(1 for r in self.results if not r.ok)
        return captioned, skipped, failed

    def summary(self) -> str:
        captioned, skipped, failed = self.counts()
        return self.tr("{captioned} captioned, {skipped} skipped (earlier run), {failed} failed").format(
            captioned=captioned, skipped=skipped, failed=failed)

    def finish(self, note: str) -> None:
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        self.status.setText(f"{self.summary()}. {note}" if self.results else note)

    # -- export --------------------------------------------------------------------------------
    def _export_dialog(self) -> None:
        folder = self.folder_path()
        start = str(folder / "captions-export.csv") if folder is not None else ""
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export results"), start,
                                              self.tr("CSV (*.csv);;JSON Lines (*.jsonl)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the table (all rows, errors included) as CSV or, for a .jsonl name, JSON Lines."""
        try:
            with path.open("w", encoding="utf-8", newline="") as fh:
                if path.suffix.lower() == ".jsonl":
                    for result in self.results:
                        fh.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                else:
                    writer = csv.writer(fh)
                    writer.writerow(["path", "caption", "error"])
                    for result in self.results:
                        writer.writerow([str(result.path), result.caption or "", result.error or ""])
        except OSError as exc:
            self.status.setText(self.tr("Cannot write {path}: {reason}").format(path=path,
                                                                                reason=exc.strerror or exc))
            return
        self.status.setText(self.tr("Exported {count} rows to {path}").format(count=len(self.results), path=path))
