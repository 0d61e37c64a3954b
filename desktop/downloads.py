"""Catalog downloads for the GUI: the core DownloadManager's jobs, reported on the UI thread.

Progress events and status changes arrive from the download threads through relay signals
(queued to the UI thread); nothing polls.
Closing the app pauses running downloads: their .part files stay and they resume on the next
start. Only those: a download the user paused waits for Resume, one that failed waits for
Retry (engines/download/intents.py), and nothing resumes in offline mode. Switching offline
mode on pauses every download at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from engines.cards import ModelCard
from engines.download import DownloadJob, DownloadManager, DownloadProgress, DownloadRequest, JobStatus
from engines.download.downloader import Downloader
from engines.download.intents import Intent, load_intent
from engines.download.offline import is_offline
from engines.paths import downloads_dir
from engines.settings import Settings
from engines.store.model_store import ModelStore


class _Relay(QObject):
    progress = Signal(object)
    status = Signal(object)  # the DownloadJob whose status changed


class DownloadCenter(QObject):
    progress = Signal(str, object)  # card id, DownloadProgress
    status_changed = Signal(str)  # card id
    installed = Signal(str)  # card id

    def __init__(self, settings: Settings, store: ModelStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._store = store
        self._manager: DownloadManager | None = None
        self._jobs: dict[str, DownloadJob] = {}
        self._seen: dict[str, JobStatus] = {}
        self._relay = _Relay()
        self._relay.progress.connect(self._on_progress)
        self._relay.status.connect(self._on_status)
        self._closed = False

    # -- queries -------------------------------------------------------------------------------
    def job(self, card_id: str) -> DownloadJob | None:
        return self._jobs.get(card_id)

    def status(self, card_id: str) -> JobStatus | None:
        job = self._jobs.get(card_id)
        return job.status if job is not None else None

    def has_partial(self, card_id: str) -> bool:
        """Partial files from an earlier session (or a cancelled-by-close one) wait in the staging folder."""
        job = self._jobs.get(card_id)
        return (job is None or job.finished) and (downloads_dir() / card_id).is_dir()

    def offline(self) -> bool:
        return is_offline(self._settings)

    # -- actions -------------------------------------------------------------------------------
    def start(self, card: ModelCard) -> DownloadJob:
        """Download (or resume from the .part files) a catalog model."""
        if self._closed:
            raise RuntimeError("downloads are shut down")
        current = self._jobs.get(card.id)
        if current is not None and not current.finished:
            return current
        if self._manager is None:
            self._manager = DownloadManager(Downloader(self._settings, self._store))
        job = self._manager.submit(DownloadRequest.from_card(card), self._relay.progress.emit, self._relay.status.emit)
        self._jobs[card.id] = job
        self._seen[card.id] = job.status
        self.status_changed.emit(card.id)
        return job

    def resume_partial(self, cards: list[ModelCard]) -> list[str]:
        """Resume the downloads that were running when the app last closed (never in offline mode)."""
        if self.offline():
            return []
        try:
            installed = {m.card_id or m.id for m in self._store.installed()}
        except Exception:  # a damaged manifest must not stop the window from opening
            installed = set()
        resumed = [card for card in cards
                   if card.id not in installed and card.id not in self._jobs and load_intent(card.id) is Intent.active]
        for card in resumed:
            self.start(card)
        return [card.id for card in resumed]

    def apply_settings(self) -> None:
        """Called when the settings change: offline mode pauses every unfinished download."""
        if not self.offline():
            return
        for card_id, job in self._jobs.items():
            if not job.finished and job.status is not JobStatus.paused:
                self.pause(card_id)

    def pause(self, card_id: str) -> None:
        if (job := self._jobs.get(card_id)) is not None:
            job.pause()

    def resume(self, card_id: str) -> None:
        if (job := self._jobs.get(card_id)) is not None:
            job.resume()

    def cancel(self, card_id: str) -> None:
        if (job := self._jobs.get(card_id)) is not None:
            job.cancel()

    # -- events --------------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: DownloadProgress) -> None:
        self.progress.emit(event.model_id, event)

    @Slot(object)
    def _on_status(self, job: DownloadJob) -> None:
        card_id = job.request.model_id
        if self._jobs.get(card_id) is not job or job.status == self._seen.get(card_id):
            return  # an older job of the same card, or a change already reported
        self._seen[card_id] = job.status
        self.status_changed.emit(card_id)
        if job.status is JobStatus.done:
            self.installed.emit(card_id)

    def shutdown(self) -> None:
        """Pause what runs (resumable next time) and end the download threads."""
        self._closed = True
        if self._manager is not None:
            self._manager.close(cancel=False)
            self._manager = None
