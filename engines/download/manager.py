"""A download queue: at most two downloads at once, each pausable, resumable and cancellable.

The GUI submits requests and listens to progress; each job runs `Downloader.run` on a worker
thread. Pausing stops the transfer (keeping its `.part` files) and frees its slot for the next
queued download; resuming queues it again, and it continues from those files. Cancelling
deletes them. What the user asked of each job is recorded (intents.py), so the next start
resumes only what was running; a failure that no retry can resume deletes its files.
"""

from __future__ import annotations

import enum
import itertools
import queue
import threading
from collections.abc import Callable

from engines.download.control import DownloadControl
from engines.download.downloader import Downloader
from engines.download.errors import ChecksumMismatchError, DownloadCancelled, DownloadPaused, RemoteNotFoundError
from engines.download.intents import Intent, clear_intent, save_intent
from engines.download.progress import DownloadProgress
from engines.download.request import DownloadRequest
from engines.store.model_store import InstalledModel
from engines.system.priority import lower_this_thread

MAX_PARALLEL = 2
# Failures after which the partial files are worthless: the file is gone, or its bytes were bad.
_UNRESUMABLE = (RemoteNotFoundError, ChecksumMismatchError)


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    paused = "paused"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class DownloadJob:
    """One submitted download. The GUI and the CLI call pause/resume/cancel/wait; the manager's
    workers drive the rest through `start`, `park`, `report` and `finish`.

    Events, called on the worker thread (or the caller's, for resume/cancel of a parked job):
    `on_progress(DownloadProgress)` for bytes, `on_status(job)` after every change of `status`.
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        request: DownloadRequest,
        on_progress: Callable[[DownloadProgress], None] | None = None,
        on_status: Callable[[DownloadJob], None] | None = None,
        requeue: Callable[[DownloadJob], None] | None = None,
    ) -> None:
        self.id = next(self._ids)
        self.request = request
        self.control = DownloadControl()
        self.status = JobStatus.queued
        self.progress: DownloadProgress | None = None
        self.result: InstalledModel | None = None
        self.error: BaseException | None = None
        self._on_progress = on_progress
        self._on_status = on_status
        self._finished = threading.Event()
        # Reentrant: an on_status handler may pause or cancel the job it is told about.
        self._lock = threading.RLock()
        self._requeue = requeue or (lambda job: None)

    # -- for whoever submitted it ------------------------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            if not self.finished:
                save_intent(self.request.model_id, Intent.paused)
            self.control.pause()

    def resume(self) -> None:
        with self._lock:
            if not self.finished:
                save_intent(self.request.model_id, Intent.active)
            self.control.resume()
            if self.status is JobStatus.paused and not self.finished:
                self._set_status(JobStatus.queued)
                self._requeue(self)

    def cancel(self) -> None:
        with self._lock:
            self.control.cancel()
            if self.status is JobStatus.paused and not self.finished:
                self._set_status(JobStatus.queued)  # a worker deletes its files and finishes it
                self._requeue(self)

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    # -- for the manager ---------------------------------------------------------------------------
    def interrupt(self, cancel: bool) -> None:
        """Stop the transfer without recording what the user wants (the app is closing: what ran
        resumes at the next start)."""
        if not self.finished:
            self.control.cancel() if cancel else self.control.pause()

    def start(self) -> bool:
        """Take a worker's slot: running, or False (and paused) when it was paused while queued."""
        with self._lock:
            self._set_status(JobStatus.paused if self.control.paused else JobStatus.running)
            return self.status is JobStatus.running

    def park(self) -> bool:
        """After the transfer stopped for a pause: True when the job now waits, paused, for resume()
        (its slot is free); False when it must run again (resumed meanwhile, or cancelled)."""
        with self._lock:
            if not (self.control.paused or self.control.cancelled):
                return False  # resumed before the worker noticed: carry on
            self._set_status(JobStatus.paused)
            return not self.control.cancelled

    def report(self, event: DownloadProgress) -> None:
        self.progress = event
        if self._on_progress is not None:
            self._on_progress(event)

    def finish(
        self, status: JobStatus, *, result: InstalledModel | None = None, error: BaseException | None = None
    ) -> None:
        with self._lock:
            self.result, self.error = result, error
            self._set_status(status, finished=True)

    def _set_status(self, status: JobStatus, *, finished: bool = False) -> None:
        changed = status is not self.status
        self.status = status
        if finished:
            self._finished.set()  # before the event: its handler sees a finished job
        if changed and self._on_status is not None:
            self._on_status(self)


class DownloadManager:
    """Use as a context manager, or call `close()`: worker threads end with it."""

    def __init__(self, downloader: Downloader | None = None, max_parallel: int = MAX_PARALLEL) -> None:
        self.downloader = downloader or Downloader()
        self._queue: queue.Queue[DownloadJob | None] = queue.Queue()
        self._workers = [
            threading.Thread(target=self._work, name=f"download-{i}", daemon=True) for i in range(max_parallel)
        ]
        self._jobs: list[DownloadJob] = []
        self._closed = False
        for worker in self._workers:
            worker.start()

    def __enter__(self) -> DownloadManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=True)

    @property
    def jobs(self) -> list[DownloadJob]:
        return list(self._jobs)

    def submit(
        self,
        request: DownloadRequest,
        on_progress: Callable[[DownloadProgress], None] | None = None,
        on_status: Callable[[DownloadJob], None] | None = None,
    ) -> DownloadJob:
        """Queue a download. `on_progress` and `on_status` are the job's events (see DownloadJob)."""
        if self._closed:
            raise RuntimeError("the download manager is closed")
        job = DownloadJob(request, on_progress, on_status, requeue=self._queue.put)
        save_intent(request.model_id, Intent.active)
        self._jobs.append(job)
        self._queue.put(job)
        return job

    def close(self, cancel: bool = False, timeout: float = 30.0) -> None:
        """Stop the workers. With cancel=False, running downloads are paused (and stay resumable)."""
        self._closed = True
        for job in self._jobs:
            job.interrupt(cancel)
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout)
        for job in self._jobs:  # paused or never started: they stay resumable on disk
            if not job.finished:
                job.finish(JobStatus.paused if not cancel else JobStatus.cancelled)
                if cancel:
                    clear_intent(job.request.model_id)
        # Without cancel, the recorded intents stay as they were: what ran resumes at the next start.

    def _work(self) -> None:
        lower_this_thread()  # hashing and writing must not take the UI's turn on a small machine
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._run(job)

    def _run(self, job: DownloadJob) -> None:
        while True:
            if job.control.cancelled:
                self.downloader.discard(job.request)
                clear_intent(job.request.model_id)
                job.finish(JobStatus.cancelled)
                return
            if self._closed or not job.start():
                return  # close() marks it; a job paused while queued waits for resume()
            try:
                result = self.downloader.run(job.request, job.control, job.report)
            except DownloadPaused:
                if job.park():
                    return  # the slot is free; resume() queues it again
                continue  # resumed before we noticed, or cancelled: go round again
            except DownloadCancelled:
                clear_intent(job.request.model_id)
                job.finish(JobStatus.cancelled)
                return
            except BaseException as exc:  # reported to whoever waits on the job
                self._failed(job, exc)
                return
            clear_intent(job.request.model_id)
            job.finish(JobStatus.done, result=result)
            return

    def _failed(self, job: DownloadJob, exc: BaseException) -> None:
        """A failure waits for Retry; its partial files go when no retry could use them."""
        if isinstance(exc, _UNRESUMABLE):
            self.downloader.discard(job.request)
            clear_intent(job.request.model_id)
        else:
            save_intent(job.request.model_id, Intent.failed)
        job.finish(JobStatus.failed, error=exc)
