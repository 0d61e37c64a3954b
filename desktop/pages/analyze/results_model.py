"""The results table's model: one line per analysed row, appended batch by batch (no copy of the rows)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.pages.analyze.notes import note_text
from engines.analysis.output import Done
from engines.analysis.records import headline, notes

PREVIEW_CHARS = 200  # a cell shows the start of a long text; the tooltip and the details show more
Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Done] = []
        self.counts: Counter[str] = Counter()  # rows per best label, for the chart

    def headers(self) -> list[str]:
        return ["#", self.tr("Text"), self.tr("Result"), self.tr("Score"), self.tr("Note")]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        done = self.rows[index.row()]
        label, score = headline(done.result) if done.result is not None else ("", None)
        column = index.column()
        if column == 0:
            return str(done.index + 1)
        if column == 1:
            text = done.text or ""
            limit = PREVIEW_CHARS * 4 if role == Qt.ItemDataRole.ToolTipRole else PREVIEW_CHARS
            return text[:limit].replace("\n", " ") + ("…" if len(text) > limit else "")
        if column == 2:
            return label
        if column == 3:
            return "" if score is None else f"{score:.3f}"
        return note_text(notes(done.note, done.result.note if done.result else None))

    def append(self, batch: list[Done]) -> None:
        if not batch:
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(batch) - 1)
        self.rows.extend(batch)
        self.endInsertRows()
        for done in batch:
            if done.result is not None:
                self.counts.update(chart_labels(done))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.counts = Counter()
        self.endResetModel()


def chart_labels(done: Done) -> list[str]:
    """What a row adds to the distribution: its best label, each entity's group, or nothing (answers)."""
    from engines.analysis.results import Classification, Entities

    if isinstance(done.result, Classification) and done.result.labels:
        return [done.result.labels[0].label]
    if isinstance(done.result, Entities):
        return [entity.group for entity in done.result.entities]
    return []
