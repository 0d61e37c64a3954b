"""The main window: a sidebar of pages, a status bar, remembered geometry, shortcuts, a clean close."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtCore import QCoreApplication, QProcess, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
    QWidget,
)

from desktop import theme
from desktop.appcontext import AppContext
from desktop.pages.analyze import AnalyzePage
from desktop.pages.caption import CaptionPage
from desktop.pages.chat import ChatPage
from desktop.pages.common import boxed
from desktop.pages.create.page import CreatePage
from desktop.pages.documents import DocumentsPage
from desktop.pages.models import ModelsPage
from desktop.pages.settings import SettingsPage
from desktop.pages.translate import TranslatePage
from desktop.session import LoadedModel
from desktop.sysinfo import hosts_memory_bytes, process_memory_bytes
from desktop.workers import Task, TaskRunner
from engines import __version__
from engines.hardware.devices import ModelDevice
from engines.paths import data_dir
from engines.store.relocate import iter_move_data_dir
from engines.translate import TranslationResult

PAGES = ("chat", "documents", "translate", "caption", "create", "analyze", "models", "settings")
MEMORY_POLL_MS = 2000
FALLBACK_SHOWN_MS = 15_000  # how long the status bar says that a chosen device could not start
# Background threads (a download's hashing loop, a model's metadata check) run Python too, and the
# UI thread waits for the GIL every time Qt calls into a Python widget: up to the switch interval
# (5 ms by default) per call, 40-70 ms for the first message's layout. A shorter interval keeps
# those waits short; the extra switching costs the worker threads well under 1 %.
GIL_SWITCH_INTERVAL_S = 0.0005


def window_settings() -> QSettings:
    """Window state lives next to the other data (not in the OS registry), so tests and profiles stay isolated."""
    return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    relocation_finished = Signal(str)  # the error, or "" when the data folder moved

    def __init__(self, ctx: AppContext | None = None) -> None:
        super().__init__()
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        self._closed = False
        self.restart_after_relocation = True  # tests turn these off
        self.show_relocation_errors = True
        self.relocation_error = ""
        self.ctx = ctx or AppContext(self)
        self.setWindowTitle(self.tr("Candeia"))
        self.setMinimumSize(QSize(720, 480))
        self._build_frame()

        self.chat = ChatPage(self.ctx)
        self.caption = CaptionPage(self.ctx)
        self.documents = DocumentsPage(self.ctx)
        self.documents.ensure_chat_model = self.chat.ensure_model
        self.documents.knowledge_bases_changed.connect(self.chat.kb_picker.set_names)
        self.create_page = CreatePage(self.ctx)
        self.models = ModelsPage(self.ctx)
        self.translate_page = TranslatePage(self.ctx)
        self.analyze_page = AnalyzePage(self.ctx)
        self.settings_page = SettingsPage(self.ctx, self.apply_theme)
        self.settings_page.move_requested.connect(self.relocate)
        pages: dict[str, tuple[str, QWidget]] = {
            "chat": (self.tr("Chat"), self.chat),
            "documents": (self.tr("Documents"), self.documents),
            "translate": (self.tr("Translate"), self.translate_page),
            "caption": (self.tr("Caption"), self.caption),
            "create": (self.tr("Create"), self.create_page),
            "analyze": (self.tr("Analyze"), self.analyze_page),
            "models": (self.tr("Models"), self.models),
            "settings": (self.tr("Settings"), self.settings_page),
        }
        for index, key in enumerate(PAGES):
            label, page = pages[key]
            item = QListWidgetItem(theme.icon(key), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(self.tr("{page} (Ctrl+{number})").format(page=label, number=index + 1))
            self.sidebar.addItem(item)
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.ctx.navigate.connect(self.show_page)
        self.chat.welcome.import_requested.connect(self._welcome_import)
        self.chat.welcome.scan_requested.connect(self._welcome_scan)
        self.chat.welcome.download_requested.connect(self._show_download)
        self.chat.welcome.browse_requested.connect(self.show_catalog)

        self._build_status_bar()
        self._build_shortcuts()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        self._restore()
        self.ctx.detect_hardware()
        self.ctx.downloads.resume_partial(self.ctx.catalog)  # downloads left unfinished last time

    def _build_frame(self) -> None:
        """The sidebar of pages beside the stack that shows the current one."""
        central, row = boxed(QWidget(), QHBoxLayout, spacing=0)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName(self.tr("Pages"))
        self.sidebar.setFixedWidth(176)
        self.sidebar.setIconSize(QSize(20, 20))
        row.addWidget(self.sidebar)
        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    # -- status bar ----------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.model_label = QLabel(self.tr("No model loaded"))
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)  # a model's name comes from its file: never HTML
        self.device_label = QLabel()
        self.speed_label = QLabel()
        self.memory_label = QLabel()
        self.onnx_label = QLabel()  # the translation and captioning models' device
        self._onnx_devices: dict[str, list[ModelDevice]] = {}
        self._fallbacks_said: set[tuple[str, str]] = set()
        for label, name in ((self.model_label, self.tr("Active model")), (self.device_label, self.tr("Device")),
                            (self.onnx_label, self.tr("Device of the translation and captioning models")),
                            (self.speed_label, self.tr("Last speed")), (self.memory_label, self.tr("Memory in use"))):
            label.setAccessibleName(name)
            bar.addPermanentWidget(label)
        bar.addWidget(QLabel(f"Candeia {__version__}"))
        self.server_label = QLabel()  # shown while the local server runs; says so loudly when it is on the network
        self.server_label.setAccessibleName(self.tr("Local server"))
        self.server_label.hide()
        bar.addPermanentWidget(self.server_label)
        self.ctx.server.changed.connect(self._on_server)
        session = self.ctx.session
        session.loading.connect(lambda ref: self.model_label.setText(self.tr("Loading {model}…").format(model=ref)))
        session.loaded.connect(self._on_loaded)
        session.load_failed.connect(lambda _: self.model_label.setText(self.tr("No model loaded")))
        session.unloaded.connect(self._on_unloaded)
        self.chat.reply_finished.connect(self._on_reply_stats)
        # bound methods: the caption engine emits from its worker thread, so these run queued on this one
        self.translate_page.translated.connect(self._on_translated)
        self.caption.engine.device_known.connect(self._on_caption_device)
        self.memory_timer = QTimer(self)
        self.memory_timer.setObjectName("memory poll")
        self.memory_timer.setInterval(MEMORY_POLL_MS)
        self.memory_timer.timeout.connect(self._update_memory)
        self.memory_timer.start()
        self.ctx.loaded_models_changed.connect(self._update_memory)  # a model loaded or freed: say so now
        self._update_memory()

    def _on_loaded(self, model: LoadedModel) -> None:
        self.model_label.setText(model.name)
        self.model_label.setToolTip(self.tr("{tokens} tokens of context").format(tokens=model.context_size))
        self.device_label.setText(model.device)

    def _on_unloaded(self) -> None:
        self.model_label.setText(self.tr("No model loaded"))
        self.device_label.clear()

    def _on_translated(self, result: TranslationResult) -> None:
        self.show_model_devices("translate", result.model_devices)

    def _on_caption_device(self, device: ModelDevice) -> None:
        self.show_model_devices("caption", [device])

    def show_model_devices(self, task: str, devices: list[ModelDevice]) -> None:
        """Show where the translate or caption page's models run, and say once when a device failed."""
        self._onnx_devices[task] = devices
        names = {"translate": self.tr("Translation: {device}"), "caption": self.tr("Captioning: {device}")}
        parts, tips = [], []
        for key, template in names.items():
            shown = self._onnx_devices.get(key, [])
            if shown:
                parts.append(template.format(device=", ".join(dict.fromkeys(d.device for d in shown))))
                tips += [f"{d.model}: {d.device}" for d in shown]
        self.onnx_label.setText(" · ".join(parts))
        self.onnx_label.setToolTip("\n".join(tips))
        for device in devices:
            for provider in device.failed:
                if (device.model, provider) not in self._fallbacks_said:
                    self._fallbacks_said.add((device.model, provider))
                    self.statusBar().showMessage(self.tr("{provider} could not start; {model} runs on the CPU.")
                                                 .format(provider=provider, model=device.model), FALLBACK_SHOWN_MS)

    def _on_reply_stats(self, stats: dict[str, float]) -> None:
        self.speed_label.setText(self.tr("{speed:.1f} tokens/s").format(speed=stats.get("tokens_per_s", 0.0)))

    def _update_memory(self) -> None:
        used = process_memory_bytes()
        if used:
            used += hosts_memory_bytes()  # the loaded models live in engine host processes
            self.memory_label.setText(self.tr("{mb:.0f} MB in use").format(mb=used / 1e6))

    # -- navigation and shortcuts --------------------------------------------------------------
    def show_page(self, key: str) -> None:
        if key in PAGES:
            self.sidebar.setCurrentRow(PAGES.index(key))

    def current_page(self) -> str:
        return PAGES[max(0, self.sidebar.currentRow())]

    def _build_shortcuts(self) -> None:
        def add(sequence: QKeySequence | QKeySequence.StandardKey | str, slot: Callable[[], None]) -> None:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        add(QKeySequence.StandardKey.New, self._new_chat)
        add("Ctrl+L", self._focus_input)
        add("Esc", self.chat.stop)
        for index, key in enumerate(PAGES):
            add(f"Ctrl+{index + 1}", functools.partial(self.show_page, key))

    def _new_chat(self) -> None:
        self.show_page("chat")
        self.chat.new_chat()

    def _focus_input(self) -> None:
        self.show_page("chat")
        self.chat.focus_input()

    def show_catalog(self) -> None:
        """The Models page on its Catalog tab (the welcome page's "Browse the catalog")."""
        self.show_page("models")
        self.models.tabs.setCurrentWidget(self.models.catalog)

    def _show_download(self, card_id: str) -> None:
        self.show_page("models")
        self.models.tabs.setCurrentWidget(self.models.catalog)
        self.models.catalog.task_filter.setCurrentIndex(0)
        self.models.catalog.select(card_id)

    def _welcome_import(self) -> None:
        self.models.installed.import_dialog()

    def _welcome_scan(self) -> None:
        self.models.installed.scan_dialog()

    def _system_scheme_changed(self) -> None:
        if self.ctx.settings.theme == "system" and not self._closed:
            self.apply_theme("system")

    def apply_theme(self, mode: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, mode)
            for index, key in enumerate(PAGES):
                self.sidebar.item(index).setIcon(theme.icon(key))
            theme.refresh_icons(self)

    # -- geometry and closing ------------------------------------------------------------------
    def _restore(self) -> None:
        saved = window_settings()
        geometry = saved.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1120, 720)
        page = str(saved.value("page", "chat"))
        self.show_page(page if page in PAGES else "chat")

    def _save(self) -> None:
        saved = window_settings()
        saved.setValue("geometry", self.saveGeometry())
        saved.setValue("page", self.current_page())
        saved.sync()

    def relocate(self, target: Path) -> Task:
        """Stop everything, move the data folder with a progress dialog, then restart the app.

        The move needs every file closed (the chat database, downloads, the model), so the window
        shuts down first and Candeia starts again afterwards, in the new folder or, if the move
        failed or was cancelled, in the old one, which is left untouched.
        """
        self.shutdown()
        self._relocator = TaskRunner("relocate", parent=self)
        dialog = QProgressDialog(self.tr("Moving Candeia's data…"), self.tr("Cancel"), 0, 1000, self)
        dialog.setWindowTitle(self.tr("Moving the data folder"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        task = self._relocator.start("relocate", lambda cancel: iter_move_data_dir(target, cancel))
        dialog.canceled.connect(task.cancel.cancel)

        def progressed(item: object) -> None:
            done, total = cast("tuple[int, int]", item)
            dialog.setValue(int(done * 1000 / total) if total else 1000)

        def finished() -> None:
            dialog.reset()
            self.relocation_finished.emit(self.relocation_error)
            self._restart()

        def failed(error: object) -> None:
            self.relocation_error = str(error) or self.tr("The move was cancelled.")
            if self.show_relocation_errors:
                QMessageBox.warning(self, self.tr("The data folder was not moved"),
                                    self.tr("{error}\nNothing was lost: Candeia keeps using {folder}.").format(
                                        error=self.relocation_error, folder=str(data_dir())))

        task.progressed.connect(progressed)
        task.failed.connect(failed)
        task.done.connect(finished)
        return task

    def _restart(self) -> None:
        if self.restart_after_relocation:
            arguments = sys.argv[1:] if getattr(sys, "frozen", False) else sys.argv
            QProcess.startDetached(sys.executable, arguments)
            QCoreApplication.quit()
        self.close()

    def _on_server(self) -> None:
        server = self.ctx.server
        if server.running and server.lan:
            self.server_label.setText(self.tr("Server on (network)"))
            tip = self.tr("Other computers on your network can reach {url}")
            self.server_label.setToolTip(tip.format(url=server.url))
        elif server.running:
            self.server_label.setText(self.tr("Server on"))
            self.server_label.setToolTip(server.url)
        self.server_label.setVisible(server.running)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save the window, stop the reply (it is saved), free the model and end every worker."""
        if self._closed:
            return
        self._closed = True
        QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._system_scheme_changed)
        self._save()
        self.memory_timer.stop()
        self.chat.shutdown()
        self.caption.shutdown()
        self.documents.shutdown()
        self.create_page.shutdown()
        self.translate_page.shutdown()
        self.analyze_page.shutdown()
        self.ctx.session.shutdown()
        QCoreApplication.processEvents()  # deliver the stopped reply so it is saved before the store closes
        self.ctx.shutdown()
