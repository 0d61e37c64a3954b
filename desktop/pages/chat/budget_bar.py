"""The context budget under the messages: a thin bar and a line of text, and the notice it calls for."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from engines.chat.session import Budget


class BudgetBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.bar.setMaximumWidth(160)
        self.bar.setAccessibleName(QCoreApplication.translate("ChatPage", "Context used"))
        self.label = QLabel()
        self.label.setObjectName("muted")
        row.addWidget(self.bar)
        row.addWidget(self.label)
        row.addStretch(1)

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def show_budget(self, budget: Budget) -> str | None:
        """Show `budget`; returns the notice to show above the messages, if it calls for one."""
        self.bar.setMaximum(budget.context_size)
        self.bar.setValue(min(budget.used, budget.context_size))
        self.label.setText(QCoreApplication.translate("ChatPage", "{used} of {total} context tokens").format(
            used=budget.used, total=budget.context_size))
        if budget.dropped > 0:
            return QCoreApplication.translate(
                "ChatPage",
                "This conversation is longer than the model's context ({total} tokens): the oldest {count} "
                "messages are left out of what the model sees. The system prompt and the newest messages are kept."
            ).format(total=budget.context_size, count=budget.dropped)
        if budget.dropped < 0:
            return QCoreApplication.translate(
                "ChatPage",
                "The last message is too long for the model's context ({total} tokens). "
                "Shorten it or raise the context size in the sampling settings."
            ).format(total=budget.context_size)
        return None
