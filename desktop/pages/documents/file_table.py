"""The knowledge base's files: status (indexed, unchanged, skipped with the reason, ...) and passages each."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engines.kb.api import FileOutcome


def status_text(status: str) -> str:
    names = {
        "indexed": QCoreApplication.translate("FileTable", "Indexed"),
        "unchanged": QCoreApplication.translate("FileTable", "Unchanged"),
        "skipped": QCoreApplication.translate("FileTable", "Skipped"),
        "failed": QCoreApplication.translate("FileTable", "Failed"),
        "removed": QCoreApplication.translate("FileTable", "Removed"),
    }
    return names.get(status, status)


class FileTable(QTableWidget):
    COLUMNS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, self.COLUMNS, parent)
        self.setHorizontalHeaderLabels([self.tr("File"), self.tr("Status"), self.tr("Passages"), self.tr("Reason")])
        self.setAccessibleName(self.tr("Files in the knowledge base"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._rows: dict[str, int] = {}
        for corner in self.findChildren(QAbstractButton, "qt_tableview_cornerbutton"):
            corner.setAccessibleName(self.tr("Select all files"))

    def show_files(self, files: Sequence[tuple[str, int, str]]) -> None:
        """The index's view: a file with passages is indexed; one with an error was skipped, and says why."""
        self.setRowCount(0)
        self._rows.clear()
        for path, chunks, error in sorted(files):
            self.show_outcome(FileOutcome(path, "skipped" if error else "indexed", chunks, error))

    def show_outcome(self, outcome: FileOutcome) -> None:
        """Add or update one file's row (called as indexing reports each file)."""
        row = self._rows.get(outcome.path)
        if row is None:
            row = self.rowCount()
            self.insertRow(row)
            self._rows[outcome.path] = row
        name = QTableWidgetItem(Path(outcome.path).name)
        name.setToolTip(outcome.path)
        name.setData(Qt.ItemDataRole.UserRole, outcome.path)
        chunks = QTableWidgetItem(str(outcome.chunks) if outcome.status in ("indexed", "unchanged") else "")
        chunks.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        reason = QTableWidgetItem(outcome.reason)
        reason.setToolTip(outcome.reason)
        for column, item in enumerate((name, QTableWidgetItem(status_text(outcome.status)), chunks, reason)):
            self.setItem(row, column, item)

    def status_of(self, path: str) -> str:
        row = self._rows.get(path)
        item = self.item(row, 1) if row is not None else None
        return item.text() if item is not None else ""

    def selected_paths(self) -> list[str]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        items = (self.item(row, 0) for row in rows)
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items if item is not None]
