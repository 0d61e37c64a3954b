"""The settings of the next image: prompt, negative prompt, size, steps, guidance, sampler, seed, batch, img2img.

`settings()` reads the form into an ImageSettings; `apply()` fills it from one (an image's PNG chunks,
"use these settings again"); `apply_defaults()` from a model card's recommendation.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from desktop.theme import set_icon
from engines.imagegen.check import MAX_BATCH, MAX_GUIDANCE, MAX_SIDE, MAX_STEPS, MIN_SIDE, SIDE_STEP
from engines.imagegen.png_params import sampler_label
from engines.imagegen.samplers import SAMPLERS
from engines.imagegen.settings import ImageSettings

MAX_SEED = 2**32 - 1


def _spin(low: int, high: int, step: int, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setAccessibleName(name)
    return box


class SettingsForm(QWidget):
    init_image_wanted = Signal()  # the "Choose…" button: the page opens the file dialog

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.prompt = QPlainTextEdit()
        self.prompt.setAccessibleName(self.tr("Prompt"))
        self.prompt.setPlaceholderText(self.tr("Describe the image: a lighthouse at dusk, oil painting…"))
        self.prompt.setFixedHeight(84)
        form.addRow(self.tr("&Prompt:"), self.prompt)
        self.negative = QPlainTextEdit()
        self.negative.setAccessibleName(self.tr("Negative prompt"))
        self.negative.setPlaceholderText(self.tr("What the image should not have (optional)"))
        self.negative.setFixedHeight(48)
        form.addRow(self.tr("&Negative:"), self.negative)
        self._add_row(form, self.tr("Si&ze:"), self._build_size(), self.width_box)
        self.steps = _spin(1, MAX_STEPS, 1, self.tr("Steps"))
        form.addRow(self.tr("S&teps:"), self.steps)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, MAX_GUIDANCE)
        self.guidance.setSingleStep(0.5)
        self.guidance.setDecimals(1)
        self.guidance.setAccessibleName(self.tr("Guidance (CFG scale)"))
        form.addRow(self.tr("&Guidance:"), self.guidance)
        self.sampler = QComboBox()
        self.sampler.setAccessibleName(self.tr("Sampler"))
        for name in SAMPLERS:
            self.sampler.addItem(sampler_label(name), name)
        form.addRow(self.tr("Sa&mpler:"), self.sampler)
        self._add_row(form, self.tr("S&eed:"), self._build_seed(), self.seed)
        self.batch = _spin(1, MAX_BATCH, 1, self.tr("Number of images"))
        form.addRow(self.tr("&Images:"), self.batch)
        self._add_row(form, self.tr("&From image:"), self._build_init(), self.init_path)
        form.addRow(self.tr("St&rength:"), self.strength)
        self.apply(ImageSettings(prompt=""))

    @staticmethod
    def _add_row(form: QFormLayout, text: str, row: QHBoxLayout, buddy: QWidget) -> None:
        label = QLabel(text)  # a row of several widgets: the label's shortcut goes to the first
        label.setBuddy(buddy)
        form.addRow(label, row)

    def _build_size(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.width_box = _spin(MIN_SIDE, MAX_SIDE, SIDE_STEP, self.tr("Width in pixels"))
        self.height_box = _spin(MIN_SIDE, MAX_SIDE, SIDE_STEP, self.tr("Height in pixels"))
        for box in (self.width_box, self.height_box):
            box.setSuffix(" px")
            box.setStepType(QSpinBox.StepType.DefaultStepType)
        row.addWidget(self.width_box)
        row.addWidget(self.height_box)
        return row

    def _build_seed(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.seed = QLineEdit()
        self.seed.setAccessibleName(self.tr("Seed"))
        self.seed.setPlaceholderText(self.tr("Random"))
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"-1|\d{0,10}"), self.seed))
        self.seed.setToolTip(self.tr("The same seed, settings and model make the same image; empty picks one."))
        self.seed.setClearButtonEnabled(True)  # cleared: a new random seed each time
        self.dice = QToolButton()
        set_icon(self.dice, "regenerate")
        self.dice.setAccessibleName(self.tr("Pick a random seed"))
        self.dice.setToolTip(self.tr("Pick a random seed"))
        self.dice.clicked.connect(lambda: self.seed.setText(str(random.randint(0, MAX_SEED))))
        row.addWidget(self.seed, 1)
        row.addWidget(self.dice)
        return row

    def _build_init(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.init_path = QLineEdit()
        self.init_path.setAccessibleName(self.tr("Image to start from"))
        self.init_path.setPlaceholderText(self.tr("None: make an image from the prompt alone"))
        self.init_path.setClearButtonEnabled(True)
        self.init_path.textChanged.connect(self._init_changed)
        self.choose_init = QPushButton(self.tr("Choose…"))
        self.choose_init.clicked.connect(self.init_image_wanted)
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.01, 1.0)
        self.strength.setSingleStep(0.05)
        self.strength.setDecimals(2)
        self.strength.setAccessibleName(self.tr("Strength: how far from the image to go"))
        self.strength.setToolTip(self.tr("0 keeps the image, 1 ignores it"))
        row.addWidget(self.init_path, 1)
        row.addWidget(self.choose_init)
        return row

    def _init_changed(self) -> None:
        self.strength.setEnabled(bool(self.init_path.text().strip()))

    # -- reading and filling ----------------------------------------------------------------------
    def settings(self) -> ImageSettings:
        seed_text = self.seed.text().strip()
        init = self.init_path.text().strip()
        return ImageSettings(
            prompt=self.prompt.toPlainText().strip(), negative_prompt=self.negative.toPlainText().strip(),
            width=self.width_box.value(), height=self.height_box.value(), steps=self.steps.value(),
            guidance=round(self.guidance.value(), 2), sampler=str(self.sampler.currentData()),
            seed=int(seed_text) if seed_text and seed_text != "-1" else -1, batch_count=self.batch.value(),
            init_image=Path(init) if init else None, strength=round(self.strength.value(), 2))

    def set_sampler(self, name: str) -> None:
        index = self.sampler.findData(name)
        if index < 0:  # a sampler this app does not know (from an image made elsewhere): shown as it is
            self.sampler.addItem(name, name)
            index = self.sampler.count() - 1
        self.sampler.setCurrentIndex(index)

    def offer_samplers(self, allowed: Sequence[str] | None) -> None:
        """Only the samplers the model's engine runs can be picked (None: all); a sampler left out falls
        back to the first allowed one (the ONNX engine runs Euler a and Euler)."""
        items = self.sampler.model()
        assert isinstance(items, QStandardItemModel)
        for row in range(self.sampler.count()):
            item = items.item(row)
            if item is not None:
                item.setEnabled(allowed is None or self.sampler.itemData(row) in allowed)
        if allowed and self.sampler.currentData() not in allowed:
            self.set_sampler(allowed[0])

    def apply(self, settings: ImageSettings) -> None:
        """Fill every field from `settings` (the init image only when it names one)."""
        self.prompt.setPlainText(settings.prompt)
        self.negative.setPlainText(settings.negative_prompt)
        self.width_box.setValue(settings.width)
        self.height_box.setValue(settings.height)
        self.steps.setValue(settings.steps)
        self.guidance.setValue(settings.guidance)
        self.set_sampler(settings.sampler)
        self.seed.setText("" if settings.seed < 0 else str(settings.seed))
        self.batch.setValue(settings.batch_count)
        if settings.init_image is not None:
            self.init_path.setText(str(settings.init_image))
        self.strength.setValue(settings.strength)
        self._init_changed()

    def apply_defaults(self, recommended: dict[str, Any]) -> None:
        """A model's recommended steps, guidance, sampler and square size (what its card says)."""
        if isinstance(steps := recommended.get("steps"), int):
            self.steps.setValue(steps)
        if isinstance(guidance := recommended.get("guidance"), int | float):
            self.guidance.setValue(float(guidance))
        if isinstance(sampler := recommended.get("sampler"), str) and sampler:
            self.set_sampler(sampler)
        if isinstance(side := recommended.get("image_size"), int):
            self.width_box.setValue(side)
            self.height_box.setValue(side)
