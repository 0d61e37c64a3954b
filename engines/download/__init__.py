"""Model downloads: hub metadata via huggingface_hub, Candeia's own resumable, verified transfer.

From the top down:
- manager.py: the queue (two at once); a `DownloadJob` per request, with its events `on_progress`
  (a DownloadProgress) and `on_status` (the job, after each change of `status`).
- downloader.py: one request as a unit: plan, fetch each file, install the folder, have the store
  register it (`ModelStore.register_download`).
- staging.py: `downloads/<id>/` and its `download.json` (the pinned commit, the files done).
- transfer.py: one file, resumable; connection.py does the HTTP, hash_pipe.py the writes and sha256.
- hub_meta.py: file metadata through huggingface_hub; request, control, retry, endpoint, tokens,
  offline, intents, pins: what those steps consult.
"""

from engines.download.control import DownloadControl
from engines.download.downloader import Downloader
from engines.download.errors import (
    ChecksumMismatchError,
    DiskSpaceError,
    DownloadCancelled,
    DownloadError,
    DownloadPaused,
    HubAccessError,
    InsecureEndpointError,
    NetworkError,
    OfflineError,
    RemoteNotFoundError,
)
from engines.download.manager import DownloadJob, DownloadManager, JobStatus
from engines.download.offline import ensure_online, is_offline
from engines.download.progress import DownloadProgress
from engines.download.request import DownloadRequest, WantedFile, looks_like_hub_ref, request_for_hub_file
from engines.download.retry import RetryPolicy

__all__ = [
    "ChecksumMismatchError",
    "DiskSpaceError",
    "DownloadCancelled",
    "DownloadControl",
    "DownloadError",
    "DownloadJob",
    "DownloadManager",
    "DownloadPaused",
    "DownloadProgress",
    "DownloadRequest",
    "Downloader",
    "HubAccessError",
    "InsecureEndpointError",
    "JobStatus",
    "NetworkError",
    "OfflineError",
    "RemoteNotFoundError",
    "RetryPolicy",
    "WantedFile",
    "ensure_online",
    "is_offline",
    "looks_like_hub_ref",
    "request_for_hub_file",
]
