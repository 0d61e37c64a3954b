"""Download errors: one sentence each, and a builtin base so callers can catch either."""

from __future__ import annotations

from engines.errors import CandeiaError


class DownloadError(CandeiaError, OSError):
    """A download failed; the message says why and what to do."""


class OfflineError(DownloadError, ConnectionError):
    """Offline mode is on, so no network connection is attempted."""


class InsecureEndpointError(DownloadError, ValueError):
    """The hub endpoint would send models over plain http to another machine."""


class HubAccessError(DownloadError, PermissionError):
    """401/403: the repository is gated, private, or the token is wrong."""


class RemoteNotFoundError(DownloadError, FileNotFoundError):
    """404: the repository, revision or file does not exist on the hub."""


class NetworkError(DownloadError, ConnectionError):
    """The connection kept failing after every retry."""


class ChecksumMismatchError(DownloadError, ValueError):
    """The bytes received do not hash to the expected sha256; they were deleted."""


class DiskSpaceError(DownloadError):
    """Not enough free disk space, before starting or part way."""


class DownloadCancelled(DownloadError):
    """The user cancelled the download; its partial files were deleted."""


class DownloadPaused(DownloadError):
    """The user paused the download; its partial files stay for a later resume."""
