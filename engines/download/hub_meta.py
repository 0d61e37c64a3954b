"""File metadata from a Hugging Face-compatible hub, through huggingface_hub's own calls.

huggingface_hub builds the URL (`hf_hub_url`, honouring the endpoint), finds the token and
reads the headers (`get_hf_file_metadata`: X-Repo-Commit, X-Linked-Etag = the LFS sha256,
X-Linked-Size). Candeia adds the retries and turns its exceptions into one-sentence errors.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engines.download.control import DownloadControl
from engines.download.errors import DownloadError, HubAccessError, NetworkError, RemoteNotFoundError
from engines.download.retry import RetryPolicy, parse_retry_after

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
METADATA_TIMEOUT = 20.0
LOGIN_HINT = "log in with 'hf auth login' (or set HF_TOKEN) using an account that has access"


@dataclass(frozen=True)
class RemoteFile:
    repo: str
    path: str
    url: str  # pinned to `commit`
    commit: str
    size: int | None
    etag: str | None
    sha256: str | None  # the LFS object id when the file is in LFS/Xet
    git_sha1: str | None  # the git blob id of a small file kept in git itself


def file_url(repo: str, path: str, revision: str, endpoint: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(repo_id=repo, filename=path, revision=revision, endpoint=endpoint)


def hub_headers(token: str | bool | None = None) -> dict[str, str]:
    """User-agent and, when huggingface_hub finds one, the Authorization header."""
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

    headers: dict[str, str] = build_hf_headers(token=token, library_name="candeia")
    return headers


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return parse_retry_after(headers.get("Retry-After")) if headers is not None else None


def _certificate_problem(exc: BaseException) -> str | None:
    """The verify message when `exc` (or what caused it) is a failed TLS certificate check."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen)
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (OSError, TimeoutError)):
        return True
    module = type(exc).__module__.split(".")[0]
    return module in {"httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3"}


@dataclass(frozen=True)
class HubCall:
    """How each metadata request of a download is made. `before_connect` runs before every request
    (offline mode is checked there) and may raise."""

    token: str | bool | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    control: DownloadControl = field(default_factory=DownloadControl)
    before_connect: Callable[[], None] = lambda: None


def fetch_metadata(repo: str, path: str, revision: str, endpoint: str, call: HubCall | None = None) -> RemoteFile:
    """HEAD one file; retry 429/5xx/network errors; 401/403/404 raise at once."""
    from huggingface_hub import get_hf_file_metadata

    call = call or HubCall()
    where = _Where(repo, path, revision, endpoint)
    url = file_url(repo, path, revision, endpoint)
    failures = 0
    while True:
        call.control.check()
        call.before_connect()
        try:
            meta = get_hf_file_metadata(url, token=call.token, timeout=METADATA_TIMEOUT)
        except Exception as exc:
            retry = _retryable(exc, where)
            if retry is None:
                raise
            failures += 1
            if failures > call.policy.attempts:
                raise retry.giving_up from None
            call.control.sleep(call.policy.delay(failures, retry.after))
            continue
        return _remote_file(meta, where)


@dataclass(frozen=True)
class _Where:
    repo: str
    path: str
    revision: str
    endpoint: str


@dataclass(frozen=True)
class _Retry:
    giving_up: NetworkError  # raised when the attempts run out
    after: float | None  # the server's Retry-After


def _retryable(exc: Exception, where: _Where) -> _Retry | None:
    """How to retry a failed HEAD; raises at once what no retry can fix; None for what is no hub or
    network failure (a bug: the caller re-raises it)."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo, path, endpoint = where.repo, where.path, where.endpoint
    if isinstance(exc, GatedRepoError):
        raise HubAccessError(f"{repo} is a gated repository: accept its terms on the hub, then {LOGIN_HINT}") from None
    if isinstance(exc, RepositoryNotFoundError):
        raise HubAccessError(
            f"the repository {repo} does not exist on {endpoint} or is private; if it is private, {LOGIN_HINT}"
        ) from None
    if isinstance(exc, RevisionNotFoundError):
        raise RemoteNotFoundError(f"{repo} has no revision '{where.revision}'") from None
    if isinstance(exc, EntryNotFoundError):
        raise RemoteNotFoundError(f"{repo} has no file '{path}' at revision '{where.revision}'") from None
    if isinstance(exc, HfHubHTTPError):
        status = _status(exc)
        if status in (401, 403):
            raise HubAccessError(f"the hub refused access to {repo}/{path} (HTTP {status}); {LOGIN_HINT}") from None
        if status == 404:
            raise RemoteNotFoundError(f"{repo}/{path} was not found on {endpoint} (HTTP 404)") from None
        if status is None or not (status == 429 or status >= 500):
            raise DownloadError(f"the hub answered HTTP {status} for {repo}/{path}") from exc
        return _Retry(NetworkError(f"the hub kept answering HTTP {status} for {repo}/{path}; try again later"),
                      _retry_after(exc))
    problem = _certificate_problem(exc)
    if problem:  # never retried, never bypassed
        raise DownloadError(f"the TLS certificate of {endpoint} is not valid ({problem})") from None
    if not _is_network_error(exc):
        return None
    return _Retry(NetworkError(f"cannot reach {endpoint} ({type(exc).__name__}: {exc})"), None)


def _remote_file(meta: Any, where: _Where) -> RemoteFile:
    repo, path, endpoint = where.repo, where.path, where.endpoint
    if not meta.commit_hash:
        raise DownloadError(f"{endpoint} did not say which commit {repo}/{path} belongs to (no X-Repo-Commit)")
    etag = (meta.etag or "").lower() or None
    return RemoteFile(
        repo=repo,
        path=path,
        url=file_url(repo, path, meta.commit_hash, endpoint),
        commit=meta.commit_hash,
        size=meta.size,
        etag=meta.etag,
        sha256=etag if etag and _SHA256.match(etag) else None,
        git_sha1=etag if etag and _SHA1.match(etag) else None,
    )


def resolve_files(
    repo: str, paths: Sequence[str], revision: str, endpoint: str, call: HubCall | None = None
) -> list[RemoteFile]:
    """Metadata for every file, all pinned to the commit the first one resolves to."""
    files: list[RemoteFile] = []
    pinned = revision
    for path in paths:
        remote = fetch_metadata(repo, path, pinned, endpoint, call)
        if files and remote.commit != files[0].commit:
            raise DownloadError(f"{repo} changed while its files were being listed; try again")
        pinned = remote.commit
        files.append(remote)
    return files
