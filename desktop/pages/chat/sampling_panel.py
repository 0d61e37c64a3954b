"""Per-conversation sampling and context size, defaulting to the model card's recommendations."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engines.cards import ModelCard
from engines.llama.sampling import SamplingOptions


def card_defaults(card: ModelCard | None, context_size: int) -> dict[str, Any]:
    """SamplingOptions' defaults, overlaid with what the card recommends."""
    base = SamplingOptions()
    values: dict[str, Any] = {
        "temperature": base.temperature, "top_p": base.top_p, "top_k": base.top_k, "min_p": base.min_p,
        "repeat_penalty": base.repeat_penalty, "max_tokens": base.max_tokens, "seed": None,
        "context_size": context_size,
    }
    if card is not None:
        recommended = card.recommended.model_dump(exclude_none=True)
        recommended.pop("system_prompt", None)
        values.update(recommended)
    return values


def sampling_from(values: dict[str, Any]) -> SamplingOptions:
    fields = {k: v for k, v in values.items() if k in SamplingOptions.model_fields}
    return SamplingOptions(**fields)


class SamplingPanel(QWidget):
    changed = Signal(dict)  # the full set of values

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self._defaults: dict[str, Any] = card_defaults(None, 4096)
        self._updating = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        title = QLabel(self.tr("Sampling"))
        title.setObjectName("muted")
        layout.addWidget(title)
        form = QFormLayout()
        self.temperature = self._double(0.0, 5.0, 0.05, 2)
        self.top_p = self._double(0.01, 1.0, 0.01, 2)
        self.top_k = self._int(0, 1000)
        self.min_p = self._double(0.0, 1.0, 0.01, 2)
        self.repeat_penalty = self._double(0.5, 3.0, 0.01, 2)
        self.max_tokens = self._int(0, 131072)
        self.max_tokens.setSpecialValueText(self.tr("unlimited"))
        self.context_size = self._int(128, 1_048_576)
        self.context_size.setSingleStep(512)
        self.seed = self._int(-1, 2**31 - 1)
        self.seed.setSpecialValueText(self.tr("random"))
        rows = [
            (self.tr("Temperature"), self.temperature,
             self.tr("Higher is more varied; 0 always picks the likeliest word.")),
            (self.tr("Top-p"), self.top_p,
             self.tr("Sample only from the most likely words that add up to this share.")),
            (self.tr("Top-k"), self.top_k, self.tr("Sample only from this many likeliest words (0: no limit).")),
            (self.tr("Min-p"), self.min_p, self.tr("Drop words far less likely than the best one.")),
            (self.tr("Repeat penalty"), self.repeat_penalty, self.tr("Above 1 discourages repeating words.")),
            (self.tr("Max tokens"), self.max_tokens, self.tr("The longest reply, in tokens.")),
            (self.tr("Context size"), self.context_size,
             self.tr("How many tokens the model sees at once; changing it reloads the model.")),
            (self.tr("Seed"), self.seed, self.tr("The same seed gives the same reply (random: a new one each time).")),
        ]
        for label, widget, tip in rows:
            widget.setToolTip(tip)
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        layout.addLayout(form)
        reset = QPushButton(self.tr("Model defaults"))
        reset.setToolTip(self.tr("Use the values the model's card recommends"))
        reset.clicked.connect(self.reset)
        layout.addWidget(reset)
        layout.addStretch(1)

    def _double(self, low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setSingleStep(step)
        box.setDecimals(decimals)
        box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.PlusMinus)
        box.valueChanged.connect(self._emit)
        return box

    def _int(self, low: int, high: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.PlusMinus)
        box.valueChanged.connect(self._emit)
        return box

    def set_defaults(self, defaults: dict[str, Any]) -> None:
        self._defaults = dict(defaults)

    def set_values(self, values: dict[str, Any]) -> None:
        merged = {**self._defaults, **values}
        self._updating = True
        try:
            self.temperature.setValue(float(merged["temperature"]))
            self.top_p.setValue(float(merged["top_p"]))
            self.top_k.setValue(int(merged["top_k"]))
            self.min_p.setValue(float(merged["min_p"]))
            self.repeat_penalty.setValue(float(merged["repeat_penalty"]))
            self.max_tokens.setValue(int(merged["max_tokens"] or 0))
            self.context_size.setValue(int(merged["context_size"]))
            self.seed.setValue(-1 if merged.get("seed") is None else int(merged["seed"]))
        finally:
            self._updating = False

    def values(self) -> dict[str, Any]:
        return {
            "temperature": round(self.temperature.value(), 4),
            "top_p": round(self.top_p.value(), 4),
            "top_k": self.top_k.value(),
            "min_p": round(self.min_p.value(), 4),
            "repeat_penalty": round(self.repeat_penalty.value(), 4),
            "max_tokens": self.max_tokens.value() or None,
            "context_size": self.context_size.value(),
            "seed": None if self.seed.value() < 0 else self.seed.value(),
        }

    def reset(self) -> None:
        self.set_values({})
        self.changed.emit(self.values())

    def _emit(self) -> None:
        if not self._updating:
            self.changed.emit(self.values())
