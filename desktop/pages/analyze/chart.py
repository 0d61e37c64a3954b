"""A horizontal bar chart of how many rows got each label, drawn with QPainter (no chart library)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR_HEIGHT = 18
GAP = 6
MAX_BARS = 12  # the most frequent labels; the rest are summed into "other"


def top_counts(counts: Counter[str], limit: int = MAX_BARS) -> list[tuple[str, int]]:
    ranked = counts.most_common()
    if len(ranked) <= limit:
        return ranked
    rest = sum(count for _, count in ranked[limit - 1:])
    return [*ranked[: limit - 1], ("…", rest)]


class LabelChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, int]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setAccessibleName(self.tr("Label distribution"))

    def set_counts(self, counts: Counter[str]) -> None:
        self.bars = top_counts(counts)
        total = sum(counts.values())
        self.setAccessibleDescription(", ".join(f"{label}: {count}" for label, count in self.bars))
        self.setToolTip(self.tr("Labels counted: {count}").format(count=total) if total else "")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(240, max(1, len(self.bars)) * (BAR_HEIGHT + GAP) + GAP)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.bars:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        metrics = painter.fontMetrics()
        label_width = min(self.width() // 3, max(metrics.horizontalAdvance(label) for label, _ in self.bars) + 16)
        count_width = metrics.horizontalAdvance(str(max(count for _, count in self.bars))) + 8
        room = max(1, self.width() - label_width - count_width - 4)
        top = max(count for _, count in self.bars)
        for row, (label, count) in enumerate(self.bars):
            y = GAP + row * (BAR_HEIGHT + GAP)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_width - 8)
            painter.drawText(QRectF(0, y, label_width - 8, BAR_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            width = max(2.0, room * count / top)
            bar = QRectF(label_width, y + 2, width, BAR_HEIGHT - 4)
            painter.fillRect(bar, palette.color(QPalette.ColorRole.Highlight))
            painter.drawText(QRectF(label_width + width + 4, y, count_width, BAR_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(count))
        painter.end()
