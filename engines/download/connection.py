"""The HTTP side of a transfer: one GET (through a proxy when set, following redirects), its status
and its Content-Range, each problem sorted into retry-worthy (`Retryable`) or final (DownloadError)."""

from __future__ import annotations

import http.client
import ssl
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from engines.download.control import DownloadControl
from engines.download.endpoint import check_transport, is_loopback, origin
from engines.download.errors import DownloadError, HubAccessError, RemoteNotFoundError
from engines.download.retry import RetryPolicy, parse_retry_after

MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}


class Retryable(Exception):
    """A fault another attempt may get past: a drop, a stall, a busy server."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ConnectionRules:
    """What every connection of one transfer obeys."""

    hub_origin: tuple[str, str, int]  # the token goes to this origin only
    allow_http: bool
    policy: RetryPolicy
    control: DownloadControl  # a pause or cancel shuts the live socket
    before_connect: Callable[[], None]  # may raise (offline mode)


def _ssl_context() -> ssl.SSLContext:
    # Certificate and host name checks are on (the default) and stay on.
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):
        pass
    return context


_SSL: ssl.SSLContext | None = None


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """An open connection for `url` (through HTTPS_PROXY/HTTP_PROXY when set) and the request target."""
    global _SSL
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxies = {} if is_loopback(host) or urllib.request.proxy_bypass(host) else urllib.request.getproxies()
    proxy = proxies.get(parts.scheme)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        _SSL = _SSL or _ssl_context()
        if proxy:
            p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            conn = http.client.HTTPSConnection(p.hostname or "", p.port or 8080, timeout=timeout, context=_SSL)
            conn.set_tunnel(host, port or 443)
        else:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_SSL)
    elif proxy:
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        conn = http.client.HTTPConnection(p.hostname or "", p.port or 8080, timeout=timeout)
        target = url
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn.connect()
    return conn, target


def open_get(
    url: str, headers: dict[str, str], rules: ConnectionRules, what: str
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """GET `url`, following redirects; the socket is attached to `rules.control` until the caller
    detaches it. `what` names the file in messages."""
    headers = dict(headers)
    for _ in range(MAX_REDIRECTS):
        check_transport(url, allow_http=rules.allow_http)
        if origin(url) != rules.hub_origin:
            headers.pop("authorization", None)  # the token never leaves the hub (CDN URLs are signed)
            headers.pop("Authorization", None)
        rules.before_connect()  # every connection, redirects included
        conn, response = _request(url, headers, rules)
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            conn.close()
            if not location:
                raise DownloadError(f"the server redirected {what} without a Location")
            url = urljoin(url, location)
            continue
        return conn, response
    raise DownloadError(f"too many redirects while downloading {what}")


def _request(
    url: str, headers: dict[str, str], rules: ConnectionRules
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    try:
        conn, target = _connect(url, rules.policy.connect_timeout)
    except ssl.SSLCertVerificationError as exc:
        host = urlsplit(url).hostname
        raise DownloadError(f"the TLS certificate of {host} is not valid: {exc.verify_message}") from None
    except OSError as exc:
        raise Retryable(f"cannot connect to {urlsplit(url).hostname}: {exc}") from None
    try:
        if conn.sock is not None:
            conn.sock.settimeout(rules.policy.stall_timeout)
        rules.control.attach(conn.sock)
        conn.request("GET", target, headers=headers)
        return conn, conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise Retryable(f"the connection failed: {exc or type(exc).__name__}") from None


def check_status(response: http.client.HTTPResponse, where: str) -> None:
    """Pass 200 and 206; raise what any other answer means for `where` (repo/path)."""
    status = response.status
    if status in (200, 206):
        return
    if status == 429 or status >= 500:
        raise Retryable(f"HTTP {status}", parse_retry_after(response.getheader("Retry-After")))
    if status in (401, 403):
        raise HubAccessError(
            f"the server refused {where} (HTTP {status}); if the repository is gated or private, "
            "log in with 'hf auth login' (or set HF_TOKEN)"
        )
    if status == 404:
        raise RemoteNotFoundError(f"{where} is gone from the server (HTTP 404)")
    raise DownloadError(f"the server answered HTTP {status} for {where}")


def check_content_range(content_range: str | None, offset: int, size: int | None, what: str) -> None:
    """A 206 must resume at `offset` of a file that still has `size` bytes ("bytes START-END/TOTAL")."""
    try:
        unit, _, spec = (content_range or "").partition(" ")
        span, _, total = spec.partition("/")
        start = int(span.split("-")[0])
    except ValueError:
        raise Retryable(f"the server sent a malformed Content-Range ({content_range!r})") from None
    if unit != "bytes" or start != offset:
        raise Retryable(f"the server resumed at the wrong byte ({content_range!r} for {offset})")
    if size is not None and total not in ("*", str(size)):
        raise DownloadError(f"{what} changed size on the server ({total} instead of {size} bytes)")
