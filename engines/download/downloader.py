"""Download every file of a request as one unit, verify each, then install and register them.

Files are fetched into `downloads/<model id>/` (`.part` + state per file, plus the commit the
download is pinned to). Only when every file has verified does the folder move, in one rename,
to `models/<model id>/` and the model get registered. A failure at any point leaves nothing
half-installed; a stop leaves a state the next run resumes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from engines.atomic import atomic_write_json
from engines.download.control import DownloadControl
from engines.download.endpoint import check_transport, http_allowed, hub_endpoint, origin
from engines.download.errors import DiskSpaceError, DownloadCancelled, DownloadError
from engines.download.hub_meta import RemoteFile, hub_headers, resolve_files
from engines.download.offline import ensure_online
from engines.download.pins import learn_sha256, learnt_sha256
from engines.download.progress import ProgressCallback, ProgressMeter
from engines.download.request import DownloadRequest, WantedFile
from engines.download.retry import RetryPolicy
from engines.download.tokens import token_for
from engines.download.transfer import FileTransfer
from engines.errors import CandeiaError, InvalidModelFileError, StoreError
from engines.gguf.info import read_gguf
from engines.onnx.info import inspect_onnx_folder
from engines.paths import downloads_dir, models_dir
from engines.security.safe_names import check_model_id, check_relative_path, path_inside
from engines.settings import Settings, load_settings
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.system.sizes import human_size

log = logging.getLogger(__name__)

SPACE_RESERVE = 64 << 20  # leave this much free after the download, for the manifest and the OS
PLAN_FILE = "download.json"


@dataclass(frozen=True)
class PlannedFile:
    wanted: WantedFile
    remote: RemoteFile
    expected_sha256: str | None


def _final(staging: Path, path: str) -> Path:
    """Where a repository file lands: refused unless it resolves inside the staging folder."""
    return path_inside(staging, *check_relative_path(path).split("/"))


def _part(staging: Path, path: str) -> Path:
    final = _final(staging, path)
    return final.with_name(final.name + ".part")


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
        shutil.rmtree(self.staging_dir(request), ignore_errors=True)

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
            return self._run_locked(request, control, on_progress, endpoint, allow_http, staging)
        finally:
            lock.release()

    def _run_locked(
        self,
        request: DownloadRequest,
        control: DownloadControl,
        on_progress: ProgressCallback | None,
        endpoint: str,
        allow_http: bool,
        staging: Path,
    ) -> InstalledModel:
        staging.mkdir(parents=True, exist_ok=True)
        token = token_for(endpoint, self.settings, self.token)
        try:
            planned = self._plan(request, staging, endpoint, control, token)
            self._check_space(planned, staging)
            total = None if any(p.remote.size is None for p in planned) else sum(p.remote.size or 0 for p in planned)
            finished = self._done_hashes(staging)  # files an earlier run already completed and verified
            meter = ProgressMeter(request.model_id, total, self._bytes_on_disk(planned, staging, finished),
                                  on_progress)
            headers = hub_headers(token)
            hashes: dict[str, str] = {}
            for item in planned:
                meter.set_file(item.wanted.path)
                final = _final(staging, item.wanted.path)
                if item.wanted.path in finished and final.exists():
                    hashes[item.wanted.path] = finished[item.wanted.path]
                    continue
                transfer = FileTransfer(
                    item.remote,
                    _part(staging, item.wanted.path),
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
                self._record_done(staging, item.wanted.path, result.sha256)
            meter.finish()
            model = self._install(request, planned, staging, hashes)
            unpinned = [p.wanted.path for p in planned if p.wanted.pinned and not p.wanted.sha256]
            if unpinned:
                learn_sha256(request.repo, request.revision, {path: hashes[path] for path in unpinned})
            return model
        except DownloadCancelled:
            self.discard(request)
            raise

    # -- steps ------------------------------------------------------------------------------
    def _plan(
        self, request: DownloadRequest, staging: Path, endpoint: str, control: DownloadControl, token: str | bool
    ) -> list[PlannedFile]:
        plan_path = staging / PLAN_FILE
        saved: dict[str, object] = {}
        try:
            saved = json.loads(plan_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        pinned = saved.get("commit") if saved.get("repo") == request.repo else None
        revision = pinned if isinstance(pinned, str) else (request.revision or "main")
        remotes = resolve_files(
            request.repo, [f.path for f in request.files], revision, endpoint,
            token=token, policy=self.policy, control=control, before_connect=self.check_online,
        )
        planned: list[PlannedFile] = []
        for wanted, remote in zip(request.files, remotes, strict=False):
            # A catalog file is checked against its pin (or the hash its first download recorded),
            # never just against what the hub says today.
            expected = wanted.sha256 or (learnt_sha256(request.repo, request.revision, wanted.path)
                                         if wanted.pinned else None)
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
            planned.append(PlannedFile(wanted, remote, expected or remote.sha256))
        atomic_write_json(plan_path, {**saved, "repo": request.repo, "commit": remotes[0].commit,
                                      "model_id": request.model_id})
        return planned

    def _bytes_on_disk(self, planned: list[PlannedFile], staging: Path, finished: dict[str, str]) -> int:
        done = 0
        for item in planned:
            final = _final(staging, item.wanted.path)
            part = _part(staging, item.wanted.path)
            if item.wanted.path in finished and final.exists():
                done += final.stat().st_size
            elif part.exists():
                done += part.stat().st_size
        return done

    def _done_hashes(self, staging: Path) -> dict[str, str]:
        try:
            raw = json.loads((staging / PLAN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        done = raw.get("done", {})
        return done if isinstance(done, dict) else {}

    def _record_done(self, staging: Path, path: str, sha256: str) -> None:
        plan_path = staging / PLAN_FILE
        raw = json.loads(plan_path.read_text(encoding="utf-8"))
        raw.setdefault("done", {})[path] = sha256
        atomic_write_json(plan_path, raw)

    def _check_space(self, planned: list[PlannedFile], staging: Path) -> None:
        needed = 0
        for item in planned:
            part = _part(staging, item.wanted.path)
            have = part.stat().st_size if part.exists() else 0
            needed += max(0, (item.remote.size or 0) - have)
        free = shutil.disk_usage(staging).free
        if needed + SPACE_RESERVE > free:
            raise DiskSpaceError(
                f"not enough disk space: the download needs {human_size(needed)} more and {staging.anchor or '/'} "
                f"has {human_size(free)} free (keeping {human_size(SPACE_RESERVE)} spare)"
            )

    def _install(
        self, request: DownloadRequest, planned: list[PlannedFile], staging: Path, hashes: dict[str, str]
    ) -> InstalledModel:
        (staging / PLAN_FILE).unlink(missing_ok=True)
        target = path_inside(models_dir(), check_model_id(request.model_id))
        if target.exists():
            raise StoreError(f"{target} already exists; remove it or the model that owns it first")
        os.replace(staging, target)
        try:
            entry = self._entry(request, planned, target, hashes)
            return self.store.register(entry)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise

    def _entry(
        self, request: DownloadRequest, planned: list[PlannedFile], target: Path, hashes: dict[str, str]
    ) -> InstalledModel:
        companions: dict[str, str] = {}
        sha256: str | None = None
        architecture: str | None = None
        size = sum(target.joinpath(*p.wanted.path.split("/")).stat().st_size for p in planned)
        if request.format is ModelFormat.gguf:
            main = request.main_file
            path = target.joinpath(*main.path.split("/"))
            try:
                info = read_gguf(path)
            except InvalidModelFileError as exc:
                raise DownloadError(f"the downloaded {main.path} is not a usable GGUF model: {exc.reason}") from None
            if info.is_companion:
                raise DownloadError(f"{main.path} is a projector (mmproj), not a model")
            architecture = info.architecture
            for item in planned:
                if item.wanted.role not in ("model",) and item.wanted.path.lower().endswith(".gguf"):
                    companions[item.wanted.role] = str(target.joinpath(*item.wanted.path.split("/")))
            sha256 = hashes.get(main.path)
        else:
            try:
                onnx = inspect_onnx_folder(target)
            except CandeiaError as exc:
                raise DownloadError(f"the downloaded folder is not a usable ONNX model: {exc}") from None
            path, architecture = target, onnx.model_type
        return InstalledModel(
            id=request.model_id,
            name=request.name,
            format=request.format,
            path=str(path),
            linked=False,
            size=size,
            architecture=architecture,
            card_id=request.card_id,
            tasks=list(request.tasks),
            companions=companions,
            sha256=sha256,
            repo=request.repo,
            commit=planned[0].remote.commit,
            file_hashes=dict(hashes),
            added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
