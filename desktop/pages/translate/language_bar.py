"""The Translate page's top row: source and target languages, swap, and the model picker."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.pages.translate.languages import Offer, language_name, sort_languages


class LanguageBar(QWidget):
    languages_changed = Signal()  # the user picked a source or target language
    model_changed = Signal()  # the user picked a model
    swap_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offer = Offer([], [], [])
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.source_combo = self._language_combo(self.tr("Source language"),
                                                 self.tr("The language of the text (Detect language: guess it "
                                                         "from the text)"))
        row.addWidget(self.source_combo)
        self.swap_button = QToolButton()
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip(self.tr("Swap languages (Ctrl+Shift+S)"))
        self.swap_button.setAccessibleName(self.tr("Swap languages"))
        self.swap_button.clicked.connect(self.swap_requested)
        row.addWidget(self.swap_button)
        self.target_combo = self._language_combo(self.tr("Target language"), self.tr("The language to translate into"))
        row.addWidget(self.target_combo)
        row.addStretch(1)
        model_label = QLabel(self.tr("Model"))
        model_label.setObjectName("muted")
        row.addWidget(model_label)
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(220)
        self.model_combo.setAccessibleName(self.tr("Translation model"))
        self.model_combo.setToolTip(self.tr("Automatic picks an installed translation model for the pair, "
                                            "through English when it must; a chat model translates too"))
        self.model_combo.activated.connect(self.model_changed)
        model_label.setBuddy(self.model_combo)
        row.addWidget(self.model_combo)

    def _language_combo(self, name: str, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setMinimumWidth(190)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setAccessibleName(name)
        combo.setToolTip(tip)
        combo.activated.connect(self.languages_changed)
        return combo

    # -- models --------------------------------------------------------------------------------
    def set_offer(self, offer: Offer) -> None:
        """Fill the pickers from what is installed; keeps the user's choices where they still exist."""
        self.offer = offer
        current = self.model_combo.currentData() if self.model_combo.count() else None
        self.model_combo.clear()
        if offer.translators or not offer.chat:
            self.model_combo.addItem(self.tr("Automatic"), None)
        for choice in offer.translators:
            self.model_combo.addItem(choice.name, choice.ref)
        for choice in offer.chat:
            self.model_combo.addItem(self.tr("{model} (chat model)").format(model=choice.name), choice.ref)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(current)))
        self.fill_languages()
        for picker in (self.source_combo, self.target_combo, self.model_combo):
            picker.setEnabled(not offer.empty)

    def selected_model(self) -> str | None:
        data = self.model_combo.currentData()
        return str(data) if data else None

    def is_llm(self) -> bool:
        ref = self.selected_model()
        return any(c.ref == ref for c in self.offer.chat)

    # -- languages -----------------------------------------------------------------------------
    def fill_languages(self) -> None:
        """The languages of the picked model (of every installed model for Automatic)."""
        ref = self.selected_model()
        choice = next((c for c in self.offer.translators + self.offer.chat if c.ref == ref), None)
        codes = sort_languages(choice.languages) if choice is not None else list(self.offer.languages)
        source, target = self.source_language(), self.target_language()
        for combo in (self.source_combo, self.target_combo):
            combo.clear()
        self.source_combo.addItem(self.tr("Detect language"), None)
        for code in codes:
            self.source_combo.addItem(language_name(code), code)
            self.target_combo.addItem(language_name(code), code)
        self.select_languages(source, target or self._default_target(codes))

    def _default_target(self, codes: list[str]) -> str | None:
        """The UI's language when a model writes it, else the first language that is not English."""
        ui = self.locale().name().split("_")[0]
        for code in (ui, "pt", "en"):
            if code in codes and (code != "en" or len(codes) == 1):
                return code
        return next((c for c in codes if c != "en"), codes[0] if codes else None)

    def _ensure(self, combo: QComboBox, code: str) -> int:
        index = combo.findData(code)
        if index < 0:  # a language the model list does not name (typed code, swapped detection)
            combo.addItem(language_name(code), code)
            index = combo.count() - 1
        return index

    def select_languages(self, source: str | None, target: str | None) -> None:
        self.source_combo.setCurrentIndex(0 if source is None else self._ensure(self.source_combo, source))
        if target is not None:
            self.target_combo.setCurrentIndex(self._ensure(self.target_combo, target))

    def source_language(self) -> str | None:
        data = self.source_combo.currentData() if self.source_combo.count() else None
        return str(data) if data else None

    def target_language(self) -> str | None:
        data = self.target_combo.currentData() if self.target_combo.count() else None
        return str(data) if data else None

    def show_detected(self, code: str | None) -> None:
        """Name the detected language in the source picker's first entry."""
        self.source_combo.setItemText(0, self.tr("Detect language: {language}").format(language=language_name(code))
                                      if code else self.tr("Detect language"))
