"""Create a knowledge base: its name and the embedding model its passages are indexed with."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

NAME = re.compile(r"^[\w][\w .-]{0,63}$")


def name_problem(name: str, taken: Sequence[str]) -> str:
    """Why `name` cannot be used ("" when it can); the core checks again."""
    if not name:
        return QCoreApplication.translate("NewKnowledgeBaseDialog", "Give the knowledge base a name.")
    if not NAME.match(name):
        return QCoreApplication.translate("NewKnowledgeBaseDialog",
                                          "Use letters, digits, spaces, dots, dashes or underscores (up to 64).")
    if name.casefold() in {t.casefold() for t in taken}:
        return QCoreApplication.translate("NewKnowledgeBaseDialog", "A knowledge base with this name exists already.")
    return ""


class NewKnowledgeBaseDialog(QDialog):
    def __init__(self, models: Sequence[tuple[str, str]], taken: Sequence[str], parent: QWidget | None = None) -> None:
        """`models`: (id, display name) of the installed embedding models."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("New knowledge base"))
        self.taken = list(taken)
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setAccessibleName(self.tr("Name"))
        self.name.setPlaceholderText(self.tr("for example: Manuals"))
        form.addRow(self.tr("Name"), self.name)
        self.model = QComboBox()
        self.model.setAccessibleName(self.tr("Embedding model"))
        self.model.addItem(self.tr("Automatic (a multilingual model first)"), None)
        for model_id, label in models:
            self.model.addItem(label, model_id)
        form.addRow(self.tr("Embedding model"), self.model)
        hint = QLabel(self.tr("The embedding model turns passages into vectors; it cannot be changed later. "
                              "A multilingual model lets you ask in Portuguese about English documents "
                              "and the reverse."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        form.addRow(hint)
        self.problem = QLabel()
        self.problem.setObjectName("notice")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Create"))
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def chosen(self) -> tuple[str, str | None]:
        data = self.model.currentData()
        return self.name.text().strip(), str(data) if data else None

    def _accept(self) -> None:
        problem = name_problem(self.chosen()[0], self.taken)
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        if not problem:
            self.accept()
