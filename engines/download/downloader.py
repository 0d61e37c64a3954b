"""Download every file of a request as one unit, verify each, then install and register them.

Files are fetched into `downloads/<model id>/` (`.part` + state per file, plus the commit the
download is pinned to). Only when every file has verified does the folder move, in one rename,
to `models/<model id>/` and the model get registered. A failure at any point leaves nothing
half-installed; a stop leaves a state the next run resumes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from engines.download.control import DownloadControl
from engines.download.endpoint import check_transport, http_allowed, hub_endpoint, origin
from engines.download.errors import DiskSpaceError, DownloadCancelled, DownloadError
from engines.download.hub_meta import HubCall, RemoteFile, hub_headers, resolve_files
from engines.download.offline import ensure_online
from engines.download.pins import learn_sha256, learnt_sha256
from engines.download.progress import ProgressCallback, ProgressMeter
from engines.download.request import DownloadRequest, WantedFile
from engines.download.retry import RetryPolicy
from engines.download.staging import StagingPlan
from engines.download.tokens import token_for
from engines.download.transfer import FileTransfer
from engines.errors import CandeiaError, InvalidModelFileError, StoreError
from engines.paths import downloads_dir, models_dir
from engines.security.safe_names import check_model_id, path_inside
from engines.settings import Settings, load_settings
from engines.store.model_store import Download, InstalledModel, ModelFormat, ModelStore
from engines.system.sizes import human_size

log = logging.getLogger(__name__)

SPACE_RESERVE = 64 << 20  # leave this much free after the download, for the manifest and the OS


@dataclass(frozen=True)
class PlannedFile:
    wanted: WantedFile
    remote: RemoteFile
    expected_sha256: str | None


class Downloader:
    """Runs one request in the calling thread. Thread-safe to share across threads."""

    def __init__(
        self,
        settings: Settings | None = None,
        store: ModelStore | None = None,
        policy: RetryPolicy | None = None,
        token: str | bool | None = None,
    ) -> None:
        # Without settings of its own (the CLI) the file is read again before each connection, so
        # offline mode switched on in the app stops this download too.
        self._reload_settings = settings is None
        self.settings = settings or load_settings()
        self.store = store or ModelStore()
        self.policy = policy or RetryPolicy()
        self.token = token

    def check_online(self) -> None:
        """Raise OfflineError when offline mode is on now; runs before every connection."""
        ensure_online(load_settings() if self._reload_settings else self.settings)

    def staging_dir(self, request: DownloadRequest) -> Path:
        return path_inside(downloads_dir(), check_model_id(request.model_id))

    def discard(self, request: DownloadRequest) -> None:
        """Delete a download's partial files (a cancel)."""
        StagingPlan(self.staging_dir(request)).discard()

    def already_installed(self, request: DownloadRequest) -> InstalledModel | None:
        for model in self.store.installed():
            if model.id == request.model_id or (request.card_id and model.card_id == request.card_id):
                return model
        return None

    # -- the whole download -----------------------------------------------------------------
    def run(
        self,
        request: DownloadRequest,
        control: DownloadControl | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> InstalledModel:
        self.check_online()  # before anything that could open a socket, and again before each connection
        control = control or DownloadControl()
        existing = self.already_installed(request)
        if existing is not None:
            raise StoreError(f"'{request.model_id}' is already installed as '{existing.id}' ({existing.path})")
        endpoint = hub_endpoint(self.settings)
        allow_http = http_allowed(self.settings)
        check_transport(endpoint, allow_http=allow_http)
        staging = self.staging_dir(request)
        lock = FileLock(str(staging) + ".lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise DownloadError(f"'{request.model_id}' is already being downloaded by another Candeia window or "
                                "command") from None
        try:
            return self._run_locked(request, control, on_progress, endpoint, allow_http, StagingPlan(staging))
        finally:
            lock.release()

    def _run_locked(
        self,
        request: DownloadRequest,
        control: DownloadControl,
        on_progress: ProgressCallback | None,
        endpoint: str,
        allow_http: bool,
        staging: StagingPlan,
    ) -> InstalledModel:
        staging.folder.mkdir(parents=True, exist_ok=True)
        token = token_for(endpoint, self.settings, self.token)
        try:
            planned = self._plan(request, staging, endpoint, control, token)
            self._check_space(planned, staging)
            total = None if any(p.remote.size is None for p in planned) else sum(p.remote.size or 0 for p in planned)
            meter = ProgressMeter(request.model_id, total, staging.bytes_on_disk([p.wanted.path for p in planned]),
                                  on_progress)
            hashes = self._fetch_all(planned, staging, endpoint, allow_http, token, control, meter)
            meter.finish()
            model = self._install(request, planned, staging, hashes)
            unpinned = [p.wanted.path for p in planned if p.wanted.pinned and not p.wanted.sha256]
            if unpinned:
                learn_sha256(request.repo, request.revision, {path: hashes[path] for path in unpinned})
            return model
        except DownloadCancelled:
            staging.discard()
            raise

    def _fetch_all(
        self, planned: list[PlannedFile], staging: StagingPlan, endpoint: str, allow_http: bool, token: str | bool,
        control: DownloadControl, meter: ProgressMeter,
    ) -> dict[str, str]:
        """Fetch and verify each file not yet done; returns every file's sha256."""
        finished = staging.done()  # files an earlier run already completed and verified
        headers = hub_headers(token)
        hashes: dict[str, str] = {}
        for item in planned:
            meter.set_file(item.wanted.path)
            final = staging.final(item.wanted.path)
            if item.wanted.path in finished and final.exists():
                hashes[item.wanted.path] = finished[item.wanted.path]
                continue
            transfer = FileTransfer(
                item.remote,
                staging.part(item.wanted.path),
                expected_sha256=item.expected_sha256,
                headers=headers,
                hub_origin=origin(endpoint),
                allow_http=allow_http,
                policy=self.policy,
                control=control,
                on_bytes=meter.add,
                before_connect=self.check_online,
            )
            result = transfer.run()
            hashes[item.wanted.path] = result.sha256
            os.replace(transfer.part, final)
            transfer.state_path.unlink(missing_ok=True)
            staging.record_done(item.wanted.path, result.sha256)
        return hashes

    # -- steps ------------------------------------------------------------------------------
    def _plan(
        self, request: DownloadRequest, staging: StagingPlan, endpoint: str, control: DownloadControl,
        token: str | bool,
    ) -> list[PlannedFile]:
        revision = staging.pinned_commit(request.repo) or request.revision or "main"
        call = HubCall(token, self.policy, control, self.check_online)
        remotes = resolve_files(request.repo, [f.path for f in request.files], revision, endpoint, call)
        planned = [_checked(request, wanted, remote) for wanted, remote in zip(request.files, remotes, strict=False)]
        staging.pin(request.repo, remotes[0].commit, request.model_id)
        return planned

    def _check_space(self, planned: list[PlannedFile], staging: StagingPlan) -> None:
        needed = 0
        for item in planned:
            part = staging.part(item.wanted.path)
            have = part.stat().st_size if part.exists() else 0
            needed += max(0, (item.remote.size or 0) - have)
        free = shutil.disk_usage(staging.folder).free
        if needed + SPACE_RESERVE > free:
            raise DiskSpaceError(
                f"not enough disk space: the download needs {human_size(needed)} more and "
                f"{staging.folder.anchor or '/'} has {human_size(free)} free "
                f"(keeping {human_size(SPACE_RESERVE)} spare)"
            )

    def _install(
        self, request: DownloadRequest, planned: list[PlannedFile], staging: StagingPlan, hashes: dict[str, str]
    ) -> InstalledModel:
        staging.forget()
        target = path_inside(models_dir(), check_model_id(request.model_id))
        if target.exists():
            raise StoreError(f"{target} already exists; remove it or the model that owns it first")
        os.replace(staging.folder, target)
        gguf = request.format is ModelFormat.gguf
        download = Download(
            model_id=request.model_id, name=request.name, card_id=request.card_id, tasks=list(request.tasks),
            repo=request.repo, commit=planned[0].remote.commit, file_hashes=dict(hashes),
            main_file=request.main_file.path if gguf else None,
            companions={p.wanted.role: p.wanted.path for p in planned
                        if gguf and p.wanted.role != "model" and p.wanted.path.lower().endswith(".gguf")},
        )
        try:
            return self.store.register_download(target, download)
        except StoreError:
            shutil.rmtree(target, ignore_errors=True)
            raise
        except CandeiaError as exc:
            shutil.rmtree(target, ignore_errors=True)
            what = f"the downloaded {download.main_file}" if gguf else "the downloaded folder"
            reason = exc.reason if isinstance(exc, InvalidModelFileError) and gguf else str(exc)
            raise DownloadError(f"{what} is not a usable {request.format.name.upper()} model: {reason}") from None
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise


def _checked(request: DownloadRequest, wanted: WantedFile, remote: RemoteFile) -> PlannedFile:
    """What to fetch for `wanted`: refused when the hub now serves other bytes than the catalog pins."""
    # A catalog file is checked against its pin (or the hash its first download recorded),
    # never just against what the hub says today.
    expected = wanted.sha256 or (learnt_sha256(request.repo, request.revision, wanted.path) if wanted.pinned else None)
    if expected and remote.sha256 and expected != remote.sha256:
        raise DownloadError(
            f"refused: the catalog pins {wanted.path} to sha256 {expected} but the hub now serves "
            f"{remote.sha256}; nothing was downloaded"
        )
    if wanted.size and remote.size and wanted.size != remote.size:
        raise DownloadError(
            f"refused: the catalog pins {wanted.path} to {wanted.size} bytes but the hub now serves "
            f"{remote.size}; nothing was downloaded"
        )
    if wanted.pinned and wanted.size and remote.size is None:
        remote = dataclasses.replace(remote, size=wanted.size)  # the transfer checks the length too
    return PlannedFile(wanted, remote, expected or remote.sha256)
