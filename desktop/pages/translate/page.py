"""The Translate page: two panes, language pickers, translate-as-you-type and whole documents.

The page keeps only widgets. Runs go to `TranslationWork` (work.py: the service and its models on
the page's `PageWorker`); starting a run cancels the one before it, and only the newest run's
result is shown, so fast typing never shows an older text's translation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.page_worker import PageWorker, Run
from desktop.pages.translate.language_bar import LanguageBar
from desktop.pages.translate.languages import Offer, language_name, read_offer
from desktop.pages.translate.panes import KINDS, Footer, Panes, notice_label
from desktop.pages.translate.work import TranslationWork
from desktop.session import error_text
from desktop.workers import Task
from engines.jobs import Cancelled
from engines.translate import DocKind, NoRouteError, TranslationResult, TranslationService, decode_bytes, kind_for
from engines.translate.engine import DecodeOptions

DEBOUNCE_MS = 600
MAX_FILE_BYTES = 20_000_000
SUFFIXES = {"text": ".txt", "markdown": ".md", "srt": ".srt", "vtt": ".vtt"}


class TranslatePage(QWidget):
    translated = Signal(object)  # the TranslationResult shown
    progressed = Signal(int, int)  # sentences done and in all, of the run shown
    busy_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 options: DecodeOptions | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.ctx = ctx
        self.work = TranslationWork(ctx.store, ctx.models, ctx.model_bytes, options, self)
        self.last_result: TranslationResult | None = None
        self.file_path: Path | None = None
        self._closed = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self._build_header())
        self.notice = notice_label(self.tr("Translation message"))
        self.notice.linkActivated.connect(self._link)
        layout.addWidget(self.notice)
        layout.addWidget(self._build_panes(), 1)
        layout.addWidget(self._build_footer())

        self.debounce = QTimer(self)
        self.debounce.setObjectName("translate as you type")
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self._typed)
        self._build_shortcuts()
        ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()
        self._set_busy(False)

    # -- what the tests and the window read ----------------------------------------------------
    @property
    def runner(self) -> PageWorker:
        return self.work.worker

    @property
    def run(self) -> Run | None:
        """The run shown, while it lasts."""
        return self.work.worker.current()

    @property
    def service(self) -> TranslationService | None:
        return self.work.service

    # -- building ------------------------------------------------------------------------------
    def _build_header(self) -> LanguageBar:
        self.bar = LanguageBar()
        self.bar.languages_changed.connect(self._languages_changed)
        self.bar.model_changed.connect(self._model_changed)
        self.bar.swap_requested.connect(self.swap)
        self.source_combo, self.target_combo = self.bar.source_combo, self.bar.target_combo
        self.model_combo, self.swap_button = self.bar.model_combo, self.bar.swap_button
        return self.bar

    def _build_panes(self) -> Panes:
        panes = Panes()
        self.source_edit, self.detected_label = panes.source_edit, panes.detected_label
        self.kind_combo = panes.kind_combo
        self.target_edit, self.stats_label = panes.target_edit, panes.stats_label
        self.clear_button, self.copy_button = panes.clear_button, panes.copy_button
        self.source_edit.textChanged.connect(self._text_changed)
        self.kind_combo.activated.connect(self._languages_changed)
        self.clear_button.clicked.connect(self.clear)
        self.copy_button.clicked.connect(self.copy)
        return panes

    def _build_footer(self) -> Footer:
        footer = Footer()
        self.open_button, self.save_button, self.file_label = footer.open_button, footer.save_button, footer.file_label
        self.auto_check, self.progress = footer.auto_check, footer.progress
        self.cancel_button, self.translate_button = footer.cancel_button, footer.translate_button
        self.open_button.clicked.connect(self.open_dialog)
        self.save_button.clicked.connect(self.save_dialog)
        self.auto_check.toggled.connect(lambda on: None if on else self.debounce.stop())
        self.cancel_button.clicked.connect(self.cancel)
        self.translate_button.clicked.connect(self.translate)
        return footer

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
    @property
    def offer(self) -> Offer:
        return self.bar.offer

    def select_languages(self, source: str | None, target: str | None) -> None:
        self.bar.select_languages(source, target)

    def source_language(self) -> str | None:
        return self.bar.source_language()

    def target_language(self) -> str | None:
        return self.bar.target_language()

    def selected_model(self) -> str | None:
        return self.bar.selected_model()

    def refresh_models(self) -> None:
        """Fill the pickers from what is installed; keeps the user's choices where they still exist."""
        self.work.release_uninstalled({m.id for m in self.ctx.installed()})
        self.bar.set_offer(read_offer(self.ctx.store, self.ctx.catalog, self.ctx.chat_models()))
        self._update_empty_notice()

    def _model_changed(self) -> None:
        self.work.model_picked(self.selected_model())
        self.bar.fill_languages()
        self._languages_changed()

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
        self.bar.show_detected(None)
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
        self.work.worker.cancel()

    def _text_changed(self) -> None:
        self._update_actions()
        if self.auto_check.isChecked() and not self._closed:
            self.debounce.start()

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

    # -- running -------------------------------------------------------------------------------
    def translate(self) -> Task | None:
        """Translate the source pane now, cancelling a run still going. Returns the run's task."""
        self.debounce.stop()
        text = self.source_edit.toPlainText()
        target = self.target_language()
        if self._closed or not text.strip() or target is None or self.offer.empty:
            return None
        kind = self.kind()
        run = self.work.translate(text, target=target, source=self.source_language(), kind=kind,
                                  model=self.selected_model(), llm=self.bar.is_llm(), on_result=self._on_result,
                                  on_progress=self._on_progress, on_error=self._on_error, on_done=self._on_done)
        self.progress.setRange(0, 0)
        self.progress.setVisible(kind != "text" or text.count("\n") > 20)  # a document: progress from the start
        self.stats_label.setText(self.tr("Translating…"))
        self._set_busy(True)
        return run.task

    def _on_progress(self, item: object) -> None:
        run = self.run
        if run is None or not isinstance(item, tuple) or item[1] <= 0 or self._closed:
            return
        done, total = item
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if not self.progress.isVisible() and run.seconds > 1.0:
            self.progress.show()  # a long text: show how far it got
        self.progressed.emit(done, total)

    def _on_result(self, result: TranslationResult) -> None:
        if self._closed:
            return
        self.last_result = result
        self.target_edit.setPlainText(result.text)
        self.notice.hide()
        detected = result.detected
        if detected is not None:
            self.detected_label.setText(self.tr("Detected: {language} · {confidence:.0%} sure").format(
                language=language_name(detected.language), confidence=detected.confidence))
        else:
            self.detected_label.clear()
        self.bar.show_detected(detected.language if detected is not None else None)
        self.stats_label.setText(self.describe(result))
        self.translated.emit(result)

    def describe(self, result: TranslationResult) -> str:
        names = {c.folder: c.name for c in self.offer.translators + self.offer.chat if c.folder}
        models = " + ".join(names.get(m, m) for m in result.models)
        route = " → ".join(result.route)
        seconds = self.locale().toString(result.seconds, "f", 2)  # 0,42 in Portuguese
        return self.tr("{models} · {route} · {count} sentences in {seconds} s").format(
            models=models, route=route, count=result.sentences, seconds=seconds)

    def _on_error(self, error: object) -> None:
        if self._closed:
            return
        if isinstance(error, Cancelled):
            self.stats_label.setText(self.tr("Translation cancelled"))
            return
        self.stats_label.clear()
        self.target_edit.clear()
        self.show_notice(error_text(error), link_models=isinstance(error, NoRouteError))

    def _on_done(self) -> None:
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
        if task is not None:
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
        self.work.shutdown()
