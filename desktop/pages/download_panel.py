"""Download controls for one catalog card: Download, progress with speed and ETA, Pause/Resume, Cancel, Retry."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.appcontext import AppContext
from desktop.pages.licence import confirm_download
from desktop.session import error_text
from engines.cards import ModelCard
from engines.download import DownloadProgress, JobStatus
from engines.system.sizes import human_size


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


class DownloadPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.card: ModelCard | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setObjectName("primary")
        self.download_button.setAccessibleName(self.tr("Download the selected model"))
        self.download_button.clicked.connect(self._download)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setAccessibleName(self.tr("Cancel the download"))
        self.cancel_button.clicked.connect(lambda: self.card and self.ctx.downloads.cancel(self.card.id))
        for button in (self.download_button, self.pause_button, self.cancel_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setAccessibleName(self.tr("Download progress"))
        layout.addWidget(self.bar)
        self.label = QLabel()
        self.label.setObjectName("muted")
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        ctx.downloads.progress.connect(self._on_progress)
        ctx.downloads.status_changed.connect(lambda card_id: self.refresh() if self._mine(card_id) else None)
        ctx.models_changed.connect(self.refresh)
        ctx.settings_changed.connect(self.refresh)
        self.refresh()

    def _mine(self, card_id: str) -> bool:
        return self.card is not None and self.card.id == card_id

    def show_card(self, card: ModelCard | None) -> None:
        self.card = card
        self.refresh()

    def refresh(self) -> None:
        card = self.card
        self.setVisible(card is not None)
        if card is None:
            return
        downloads = self.ctx.downloads
        job = downloads.job(card.id)
        status = job.status if job is not None else None
        installed = card.id in self.ctx.installed_card_ids()
        active = status in (JobStatus.queued, JobStatus.running, JobStatus.paused)
        self.download_button.setVisible(not active)
        self.pause_button.setVisible(active)
        self.cancel_button.setVisible(active)
        self.bar.setVisible(active)
        self.error.setVisible(status is JobStatus.failed)
        if status is JobStatus.failed and job is not None:
            self.error.setText(self.tr("The download failed: {error}").format(error=error_text(job.error)))
        offline = downloads.offline()
        partial = downloads.has_partial(card.id)
        if installed:
            self.download_button.setText(self.tr("Installed"))
            self.download_button.setEnabled(False)
            self.download_button.setToolTip(self.tr("This model is installed; see the Installed tab."))
        else:
            retry = status is JobStatus.failed
            self.download_button.setText(self.tr("Retry") if retry else
                                         self.tr("Resume download") if partial else self.tr("Download"))
            self.download_button.setEnabled(not offline)
            self.download_button.setToolTip(self.tr("Offline mode is on (Settings)") if offline else "")
        self.pause_button.setText(self.tr("Resume") if status is JobStatus.paused else self.tr("Pause"))
        blocked = status is JobStatus.paused and offline  # offline mode paused it; Resume would fail at once
        self.pause_button.setEnabled(not blocked)
        self.pause_button.setToolTip(self.tr("Offline mode is on (Settings)") if blocked else "")
        if status is JobStatus.queued:
            self.label.setText(self.tr("Waiting for a free download slot…"))
        elif status is JobStatus.paused:
            self.label.setText(self.tr("Paused; the downloaded part is kept."))
        elif status is JobStatus.done:
            self.label.setText(self.tr("Downloaded and verified."))
        elif status is JobStatus.cancelled:
            self.label.setText(self.tr("Cancelled."))
        elif status is None:
            self.label.setText(self.tr("Part of this download is already here; it continues where it stopped.")
                               if partial and not installed else "")
        if job is not None and job.progress is not None and status is JobStatus.running:
            self._on_progress(card.id, job.progress)

    def _on_progress(self, card_id: str, event: DownloadProgress) -> None:
        if not self._mine(card_id):
            return
        if event.total:
            self.bar.setMaximum(1000)
            self.bar.setValue(int(1000 * event.done / event.total))
        else:
            self.bar.setMaximum(0)  # busy indicator
        total = human_size(event.total) if event.total else "?"
        self.label.setText(self.tr("{done} of {total} · {speed}/s · {eta} left").format(
            done=human_size(event.done), total=total, speed=human_size(event.speed), eta=_eta(event.eta)))

    def _download(self) -> None:
        if self.card is not None and confirm_download(self, self.card, self.ctx.ui_language()):
            self.ctx.downloads.start(self.card)

    def _pause_or_resume(self) -> None:
        if self.card is None:
            return
        if self.ctx.downloads.status(self.card.id) is JobStatus.paused:
            self.ctx.downloads.resume(self.card.id)
        else:
            self.ctx.downloads.pause(self.card.id)
