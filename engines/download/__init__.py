"""Model downloads: hub metadata via huggingface_hub, Candeia's own resumable, verified transfer."""

from .control import DownloadControl
from .downloader import Downloader
from .errors import (
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
from .manager import DownloadJob, DownloadManager, JobStatus
from .offline import ensure_online, is_offline
from .progress import DownloadProgress
from .request import DownloadRequest, WantedFile, looks_like_hub_ref, request_for_hub_file
from .retry import RetryPolicy

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
