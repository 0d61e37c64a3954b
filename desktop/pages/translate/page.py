"""The Translate page: two panes, language pickers, translate-as-you-type and whole documents.

Every run goes to one worker thread through `TaskRunner`; starting a run cancels the one before it
(the core stops between batches), and a result is shown only if it belongs to the latest run, so
fast typing never shows an older text's translation. Progress comes back through a queued signal.

The page keeps one `TranslationService` and so its models, a chat model (LLM) included, between
runs: translate-as-you-type must not reload a GGUF for every keystroke pause. Freeing the chat
model (another model picked, a model removed) is queued on the same worker, after the run in
flight, so the UI thread never waits on an unload and never races a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.appcontext import AppContext
from desktop.pages.translate.languages import Offer, language_name, read_offer, sort_languages
from desktop.session import error_text
from desktop.workers import Task, TaskRunner
from engines.jobs import Cancelled, CancelToken
from engines.translate import DocKind, NoRouteError, TranslationResult, TranslationService, decode_bytes, kind_for
from engines.translate.engine import DecodeOptions

DEBOUNCE_MS = 600
MAX_FILE_BYTES = 20_000_000
KINDS: tuple[DocKind, ...] = ("text", "markdown", "srt", "vtt")
SUFFIXES = {"text": ".txt", "markdown": ".md", "srt": ".srt", "vtt": ".vtt"}


class _Progress(QObject):
    """Emitted on the worker thread; the page lives on the UI thread, so delivery is queued."""

    changed = Signal(int, int, int)  # run number, done, total


@dataclass
class _Run:
    number: int
    task: Task
    started: float
    document: bool  # show the progress bar (files, long texts)


class TranslatePage(QWidget):
    translated = Signal(object)  # the TranslationResult shown
    busy_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 options: DecodeOptions | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.ctx = ctx
        self.options = options
        self.service: TranslationService | None = None
        self._chat_ref: str | None = None  # the chat model the service may hold (the last LLM run's)
        self.runner = TaskRunner("translate", 1, self)
        self.run: _Run | None = None
        self._runs = 0
        self.last_result: TranslationResult | None = None
        self.file_path: Path | None = None
        self.offer = Offer([], [], [])
        self._progress = _Progress()
        self._progress.changed.connect(self._on_progress)
        self._closed = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(self._build_header())
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.RichText)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.notice.setOpenExternalLinks(False)
        self.notice.linkActivated.connect(self._link)
        self.notice.setAccessibleName(self.tr("Translation message"))
        self.notice.hide()
        layout.addWidget(self.notice)
        layout.addWidget(self._build_panes(), 1)
        layout.addLayout(self._build_footer())

        self.debounce = QTimer(self)
        self.debounce.setObjectName("translate as you type")
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self._typed)
        self._build_shortcuts()
        ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()
        self._set_busy(False)

    # -- building ------------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.source_combo = QComboBox()
        self.source_combo.setMinimumWidth(190)
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.setAccessibleName(self.tr("Source language"))
        self.source_combo.setToolTip(self.tr("The language of the text (Detect language: guess it from the text)"))
        self.source_combo.activated.connect(self._languages_changed)
        row.addWidget(self.source_combo)
        self.swap_button = QToolButton()
        self.swap_button.setText("⇄")
        self.swap_button.setToolTip(self.tr("Swap languages (Ctrl+Shift+S)"))
        self.swap_button.setAccessibleName(self.tr("Swap languages"))
        self.swap_button.clicked.connect(self.swap)
        row.addWidget(self.swap_button)
        self.target_combo = QComboBox()
        self.target_combo.setMinimumWidth(190)
        self.target_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.target_combo.setAccessibleName(self.tr("Target language"))
        self.target_combo.setToolTip(self.tr("The language to translate into"))
        self.target_combo.activated.connect(self._languages_changed)
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
        self.model_combo.activated.connect(self._model_changed)
        model_label.setBuddy(self.model_combo)
        row.addWidget(self.model_combo)
        return row

    def _build_panes(self) -> QSplitter:
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.setHandleWidth(1)

        left = QWidget()
        left_col = QVBoxLayout(left)
        left_col.setContentsMargins(0, 0, 8, 0)
        left_col.setSpacing(4)
        self.source_edit = QPlainTextEdit()
        self.source_edit.setPlaceholderText(self.tr("Type or paste text, or open a file (Ctrl+O). "
                                                    "Ctrl+Enter translates."))
        self.source_edit.setAccessibleName(self.tr("Text to translate"))
        self.source_edit.setTabChangesFocus(True)
        self.source_edit.textChanged.connect(self._text_changed)
        left_col.addWidget(self.source_edit, 1)
        under_left = QHBoxLayout()
        self.detected_label = QLabel()
        self.detected_label.setObjectName("muted")
        self.detected_label.setAccessibleName(self.tr("Detected language"))
        # a long language name must not widen the pane (the splitter keeps the panes even)
        self.detected_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        under_left.addWidget(self.detected_label, 1)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName(self.tr("Document format"))
        self.kind_combo.setToolTip(self.tr("How the text is read: Markdown and subtitles keep their structure"))
        for kind, label in zip(KINDS, (self.tr("Plain text"), self.tr("Markdown"), self.tr("SRT subtitles"),
                                       self.tr("WebVTT subtitles")), strict=True):
            self.kind_combo.addItem(label, kind)
        self.kind_combo.activated.connect(self._languages_changed)
        under_left.addWidget(self.kind_combo)
        self.clear_button = self._tool("trash", self.tr("Clear the text"))
        self.clear_button.clicked.connect(self.clear)
        under_left.addWidget(self.clear_button)
        left_col.addLayout(under_left)
        split.addWidget(left)

        right = QWidget()
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(8, 0, 0, 0)
        right_col.setSpacing(4)
        self.target_edit = QPlainTextEdit()
        self.target_edit.setReadOnly(True)
        self.target_edit.setPlaceholderText(self.tr("Translation"))
        self.target_edit.setAccessibleName(self.tr("Translation"))
        self.target_edit.setTabChangesFocus(True)
        right_col.addWidget(self.target_edit, 1)
        under_right = QHBoxLayout()
        self.stats_label = QLabel()
        self.stats_label.setObjectName("stats")
        self.stats_label.setWordWrap(True)
        self.stats_label.setAccessibleName(self.tr("Model used and time taken"))
        under_right.addWidget(self.stats_label, 1)
        self.copy_button = self._tool("copy", self.tr("Copy the translation (Ctrl+Shift+C)"))
        self.copy_button.clicked.connect(self.copy)
        under_right.addWidget(self.copy_button)
        right_col.addLayout(under_right)
        split.addWidget(right)
        split.setSizes([500, 500])
        return split

    def _build_footer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = QPushButton(self.tr("Open file…"))
        theme.set_icon(self.open_button, "folder")
        self.open_button.setToolTip(self.tr("Translate a text, Markdown or subtitle file (Ctrl+O)"))
        self.open_button.setAccessibleName(self.tr("Open a file to translate"))
        self.open_button.clicked.connect(self.open_dialog)
        row.addWidget(self.open_button)
        self.save_button = QPushButton(self.tr("Save translation…"))
        theme.set_icon(self.save_button, "export")
        self.save_button.setToolTip(self.tr("Save the translation as a file (Ctrl+S)"))
        self.save_button.setAccessibleName(self.tr("Save the translation"))
        self.save_button.clicked.connect(self.save_dialog)
        row.addWidget(self.save_button)
        self.file_label = QLabel()
        self.file_label.setObjectName("muted")
        self.file_label.setAccessibleName(self.tr("Open file"))
        self.file_label.hide()
        row.addWidget(self.file_label)
        self.auto_check = QCheckBox(self.tr("Translate as you type"))
        self.auto_check.setAccessibleName(self.tr("Translate as you type"))
        self.auto_check.setChecked(True)
        self.auto_check.toggled.connect(self._auto_toggled)
        row.addWidget(self.auto_check)
        row.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Translation progress"))
        self.progress.setFixedWidth(220)
        self.progress.setFormat(self.tr("%v of %m sentences"))
        self.progress.hide()
        row.addWidget(self.progress)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        theme.set_icon(self.cancel_button, "stop")
        self.cancel_button.setAccessibleName(self.tr("Cancel the translation"))
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.cancel_button)
        self.translate_button = QPushButton(self.tr("Translate"))
        self.translate_button.setObjectName("primary")
        self.translate_button.setToolTip(self.tr("Translate now (Ctrl+Enter)"))
        self.translate_button.setAccessibleName(self.tr("Translate"))
        self.translate_button.clicked.connect(self.translate)
        row.addWidget(self.translate_button)
        return row

    def _tool(self, icon_name: str, tip: str) -> QToolButton:
        button = QToolButton()
        theme.set_icon(button, icon_name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    def _build_shortcuts(self) -> None:
        def add(sequence: str, slot: Callable[[], object]) -> None:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        add("Ctrl+Return", self.translate)
        add("Ctrl+Enter", self.translate)
        add("Ctrl+O", self.open_dialog)
        add("Ctrl+S", self.save_dialog)
        add("Ctrl+Shift+S", self.swap)
        add("Ctrl+Shift+C", self.copy)

    # -- models and languages ------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Fill the pickers from what is installed; keeps the user's choices where they still exist."""
        self.offer = read_offer(self.ctx.store, self.ctx.catalog, self.ctx.chat_models())
        # a removed model must not stay loaded: freed on the worker, after the run in flight
        self._on_worker("release removed models", lambda service: service.release_uninstalled())
        current = self.model_combo.currentData() if self.model_combo.count() else None
        self.model_combo.clear()
        if self.offer.translators or not self.offer.chat:
            self.model_combo.addItem(self.tr("Automatic"), None)
        for choice in self.offer.translators:
            self.model_combo.addItem(choice.name, choice.ref)
        for choice in self.offer.chat:
            self.model_combo.addItem(self.tr("{model} (chat model)").format(model=choice.name), choice.ref)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(0, index))
        self._fill_languages()
        self._update_empty_notice()

    def _model_changed(self) -> None:
        if self._chat_ref is not None and self._chat_ref != self.selected_model():
            self._chat_ref = None
            if self.run is not None:
                self.run.task.cancel.cancel()
            self._on_worker("free chat model", lambda service: service.close_chat())
        self._fill_languages()
        self._languages_changed()

    def selected_model(self) -> str | None:
        data = self.model_combo.currentData()
        return str(data) if data else None

    def _is_llm(self) -> bool:
        ref = self.selected_model()
        return any(c.ref == ref for c in self.offer.chat)

    def _fill_languages(self) -> None:
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

    def kind(self) -> DocKind:
        data = self.kind_combo.currentData()
        return data if data in KINDS else "text"

    def set_kind(self, kind: DocKind) -> None:
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))

    def _update_empty_notice(self) -> None:
        if self.offer.empty:
            self.show_notice(self.tr("No translation model is installed. Get one (such as OPUS-MT or NLLB) on the "
                                     "<a href=\"models\">Models page</a>, or install a chat model to translate "
                                     "with it."))
        elif not self.offer.translators:
            self.show_notice(self.tr("No translation model is installed: translating with a chat model. "
                                     "Translation models (such as OPUS-MT) are faster; get one on the "
                                     "<a href=\"models\">Models page</a>."))
        else:
            self.notice.hide()
        self._update_actions()

    def show_notice(self, text: str, link_models: bool = False) -> None:
        if link_models:
            text += " " + self.tr("<a href=\"models\">Open the Models page</a>")
        self.notice.setText(text)
        self.notice.show()

    def _link(self, href: str) -> None:
        if href == "models":
            self.ctx.navigate.emit("models")

    # -- actions -------------------------------------------------------------------------------
    def swap(self) -> None:
        source = self.source_language()
        if source is None and self.last_result is not None:
            source = self.last_result.source  # the detected language
        target = self.target_language()
        if source is None or target is None:
            return
        self.cancel()
        translation = self.target_edit.toPlainText()
        original = self.source_edit.toPlainText()
        self.select_languages(target, source)
        self.debounce.stop()
        self.source_edit.blockSignals(True)
        self.source_edit.setPlainText(translation)
        self.source_edit.blockSignals(False)
        self.target_edit.setPlainText(original if translation else "")
        self.detected_label.clear()
        self.stats_label.clear()
        self.source_combo.setItemText(0, self.tr("Detect language"))
        self.last_result = None
        self._update_actions()
        if translation.strip() and self.auto_check.isChecked():
            self.translate()

    def copy(self) -> None:
        text = self.target_edit.toPlainText()
        if text:
            QGuiApplication.clipboard().setText(text)

    def clear(self) -> None:
        self.cancel()
        self.source_edit.clear()
        self.target_edit.clear()
        self.detected_label.clear()
        self.stats_label.clear()
        self.file_path = None
        self.file_label.clear()
        self.file_label.hide()
        self.last_result = None
        self._update_actions()

    def cancel(self) -> None:
        self.debounce.stop()
        if self.run is not None:
            self.run.task.cancel.cancel()

    def _text_changed(self) -> None:
        self._update_actions()
        if self.auto_check.isChecked() and not self._closed:
            self.debounce.start()

    def _auto_toggled(self, on: bool) -> None:
        if not on:
            self.debounce.stop()

    def _typed(self) -> None:
        if self.source_edit.toPlainText().strip():
            self.translate()

    def _languages_changed(self) -> None:
        self._update_empty_notice()
        if self.auto_check.isChecked() and self.source_edit.toPlainText().strip():
            self.translate()

    def _update_actions(self) -> None:
        has_text = bool(self.source_edit.toPlainText().strip())
        self.translate_button.setEnabled(has_text and not self.offer.empty)
        self.save_button.setEnabled(bool(self.target_edit.toPlainText()) and self.run is None)
        self.copy_button.setEnabled(bool(self.target_edit.toPlainText()))
        self.swap_button.setEnabled(self.target_language() is not None)
        for picker in (self.source_combo, self.target_combo, self.model_combo):
            picker.setEnabled(not self.offer.empty)

    # -- running -------------------------------------------------------------------------------
    def translate(self) -> Task | None:
        """Translate the source pane now, cancelling a run still going. Returns the run's task."""
        self.debounce.stop()
        text = self.source_edit.toPlainText()
        target = self.target_language()
        if self._closed or not text.strip() or target is None or self.offer.empty:
            return None
        if self.run is not None:
            self.run.task.cancel.cancel()
        source, kind, model, llm = self.source_language(), self.kind(), self.selected_model(), self._is_llm()
        self._runs += 1
        number = self._runs
        relay = self._progress
        service = self._service()  # kept between runs, with its models (a chat model included)
        if llm:
            self._chat_ref = model

        def report(done: int, total: int) -> None:
            relay.changed.emit(number, done, total)

        def job(cancel: CancelToken) -> TranslationResult:
            cancel.raise_if_cancelled()
            return service.translate(text, target=target, source=source, kind=kind, model=model,
                                     cancel=cancel, progress=report)

        task = self.runner.start(f"translate {number}", job)
        run = _Run(number, task, time.perf_counter(), document=kind != "text" or text.count("\n") > 20)
        self.run = run
        task.succeeded.connect(lambda result: self._on_result(run, result))
        task.failed.connect(lambda error: self._on_error(run, error))
        task.done.connect(lambda: self._on_done(run))
        self.progress.setRange(0, 0)
        self.progress.setVisible(run.document)
        self.stats_label.setText(self.tr("Translating…"))
        self._set_busy(True)
        return task

    def _service(self) -> TranslationService:
        if self.service is None:
            self.service = TranslationService(self.ctx.store, options=self.options)
        return self.service

    def _on_worker(self, name: str, fn: Callable[[TranslationService], None]) -> None:
        """Run `fn(service)` on the page's worker, in order after the runs already started."""
        service = self.service
        if service is None or self._closed:
            return
        self.runner.start(name, lambda cancel: fn(service))

    def _on_progress(self, number: int, done: int, total: int) -> None:
        if self.run is not None and self.run.number == number and total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            if not self.progress.isVisible() and time.perf_counter() - self.run.started > 1.0:
                self.progress.show()  # a long text: show how far it got

    def _on_result(self, run: _Run, result: TranslationResult) -> None:
        if run is not self.run or self._closed:
            return  # an older run that finished before its cancel was seen: its text is stale
        self.last_result = result
        self.target_edit.setPlainText(result.text)
        self.notice.hide()
        if result.detected is not None:
            self.detected_label.setText(self.tr("Detected: {language} · {confidence:.0%} sure").format(
                language=language_name(result.detected.language), confidence=result.detected.confidence))
            self.source_combo.setItemText(0, self.tr("Detect language: {language}").format(
                language=language_name(result.detected.language)))
        else:
            self.detected_label.clear()
            self.source_combo.setItemText(0, self.tr("Detect language"))
        self.stats_label.setText(self.describe(result))
        self.translated.emit(result)

    def describe(self, result: TranslationResult) -> str:
        names = {c.folder: c.name for c in self.offer.translators + self.offer.chat if c.folder}
        models = " + ".join(names.get(m, m) for m in result.models)
        route = " → ".join(result.route)
        seconds = self.locale().toString(result.seconds, "f", 2)  # 0,42 in Portuguese
        return self.tr("{models} · {route} · {count} sentences in {seconds} s").format(
            models=models, route=route, count=result.sentences, seconds=seconds)

    def _on_error(self, run: _Run, error: object) -> None:
        if run is not self.run or self._closed:
            return
        if isinstance(error, Cancelled):
            self.stats_label.setText(self.tr("Translation cancelled"))
            return
        self.stats_label.clear()
        self.target_edit.clear()
        self.show_notice(error_text(error), link_models=isinstance(error, NoRouteError))

    def _on_done(self, run: _Run) -> None:
        if run is self.run:
            self.run = None
            self.progress.hide()
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        self._update_actions()
        self.busy_changed.emit(busy)

    # -- files ---------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        filters = self.tr("Text and subtitles (*.txt *.md *.markdown *.srt *.vtt);;All files (*)")
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a file to translate"), "", filters)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> Task | None:
        """Load a text, Markdown or subtitle file into the source pane and translate it."""
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self.show_notice(self.tr("{name} is too large to translate here ({mb:.0f} MB); "
                                         "use candeia-cli translate for it").format(name=path.name, mb=size / 1e6))
                return None
            text = decode_bytes(path.read_bytes(), path.name)
        except OSError as exc:
            self.show_notice(self.tr("Cannot read {name}: {error}").format(name=path.name, error=exc.strerror or exc))
            return None
        except Exception as exc:  # DocumentError: binary, undecodable, empty
            self.show_notice(error_text(exc))
            return None
        self.set_kind(kind_for(path, text))
        self.file_path = path
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.file_label.show()
        self.debounce.stop()
        self.source_edit.blockSignals(True)
        self.source_edit.setPlainText(text)
        self.source_edit.blockSignals(False)
        self.target_edit.clear()
        self._update_actions()
        task = self.translate()
        if self.run is not None:
            self.run.document = True
            self.progress.show()
        return task

    def suggested_name(self) -> str:
        target = self.target_language() or "translation"
        if self.file_path is not None:
            return str(self.file_path.with_name(f"{self.file_path.stem}.{target}{self.file_path.suffix}"))
        return f"translation.{target}{SUFFIXES[self.kind()]}"

    def save_dialog(self) -> None:
        if not self.target_edit.toPlainText() or self.run is not None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the translation"), self.suggested_name())
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        try:
            path.write_text(self.target_edit.toPlainText(), encoding="utf-8", newline="")
        except OSError as exc:
            self.show_notice(self.tr("Cannot save {name}: {error}").format(name=path.name,
                                                                            error=exc.strerror or exc))
            return False
        self.stats_label.setText(self.tr("Saved {name}").format(name=path.name))
        return True

    # -- shutdown ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the timer and the run, join the worker and unload the models."""
        if self._closed:
            return
        self._closed = True
        self.debounce.stop()
        self.runner.shutdown()
        if self.service is not None:
            self.service.close()
            self.service = None
