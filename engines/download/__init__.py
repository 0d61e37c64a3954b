"""Model downloads: hub metadata via huggingface_hub, Candeia's own resumable, verified transfer."""

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
