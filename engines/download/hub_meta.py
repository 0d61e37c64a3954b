"""File metadata from a Hugging Face-compatible hub, through huggingface_hub's own calls.

huggingface_hub builds the URL (`hf_hub_url`, honouring the endpoint), finds the token and
reads the headers (`get_hf_file_metadata`: X-Repo-Commit, X-Linked-Etag = the LFS sha256,
X-Linked-Size). Candeia adds the retries and turns its exceptions into one-sentence errors.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def fetch_metadata(
    repo: str,
    path: str,
    revision: str,
    endpoint: str,
    *,
    token: str | bool | None = None,
    policy: RetryPolicy | None = None,
    control: DownloadControl | None = None,
    before_connect: Callable[[], None] | None = None,
) -> RemoteFile:
    """HEAD one file; retry 429/5xx/network errors; 401/403/404 raise at once.

    `before_connect` runs before every request (offline mode is checked there) and may raise.
    """
    from huggingface_hub import get_hf_file_metadata
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    policy = policy or RetryPolicy()
    control = control or DownloadControl()
    url = file_url(repo, path, revision, endpoint)
    failures = 0
    while True:
        control.check()
        if before_connect is not None:
            before_connect()
        try:
            meta = get_hf_file_metadata(url, token=token, timeout=METADATA_TIMEOUT)
            break
        except GatedRepoError:
            raise HubAccessError(
                f"{repo} is a gated repository: accept its terms on the hub, then {LOGIN_HINT}"
            ) from None
        except RepositoryNotFoundError:
            raise HubAccessError(
                f"the repository {repo} does not exist on {endpoint} or is private; if it is private, {LOGIN_HINT}"
            ) from None
        except RevisionNotFoundError:
            raise RemoteNotFoundError(f"{repo} has no revision '{revision}'") from None
        except EntryNotFoundError:
            raise RemoteNotFoundError(f"{repo} has no file '{path}' at revision '{revision}'") from None
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status in (401, 403):
                raise HubAccessError(f"the hub refused access to {repo}/{path} (HTTP {status}); {LOGIN_HINT}") from None
            if status == 404:
                raise RemoteNotFoundError(f"{repo}/{path} was not found on {endpoint} (HTTP 404)") from None
            if status is None or not (status == 429 or status >= 500):
                raise DownloadError(f"the hub answered HTTP {status} for {repo}/{path}") from exc
            failures += 1
            if failures > policy.attempts:
                raise NetworkError(f"the hub kept answering HTTP {status} for {repo}/{path}; try again later") from None
            control.sleep(policy.delay(failures, _retry_after(exc)))
        except Exception as exc:
            problem = _certificate_problem(exc)
            if problem:  # never retried, never bypassed
                raise DownloadError(f"the TLS certificate of {endpoint} is not valid ({problem})") from None
            if not _is_network_error(exc):
                raise
            failures += 1
            if failures > policy.attempts:
                raise NetworkError(f"cannot reach {endpoint} ({type(exc).__name__}: {exc})") from None
            control.sleep(policy.delay(failures))

    if not meta.commit_hash:
        raise DownloadError(f"{endpoint} did not say which commit {repo}/{path} belongs to (no X-Repo-Commit)")
    etag = (meta.etag or "").lower() or None
    sha256 = etag if etag and _SHA256.match(etag) else None
    git_sha1 = etag if etag and _SHA1.match(etag) else None
    return RemoteFile(
        repo=repo,
        path=path,
        url=file_url(repo, path, meta.commit_hash, endpoint),
        commit=meta.commit_hash,
        size=meta.size,
        etag=meta.etag,
        sha256=sha256,
        git_sha1=git_sha1,
    )


def resolve_files(
    repo: str,
    paths: Sequence[str],
    revision: str,
    endpoint: str,
    *,
    token: str | bool | None = None,
    policy: RetryPolicy | None = None,
    control: DownloadControl | None = None,
    before_connect: Callable[[], None] | None = None,
) -> list[RemoteFile]:
    """Metadata for every file, all pinned to the commit the first one resolves to."""
    files: list[RemoteFile] = []
    pinned = revision
    for path in paths:
        remote = fetch_metadata(repo, path, pinned, endpoint, token=token, policy=policy, control=control,
                                before_connect=before_connect)
        if files and remote.commit != files[0].commit:
            raise DownloadError(f"{repo} changed while its files were being listed; try again")
        pinned = remote.commit
        files.append(remote)
    return files
