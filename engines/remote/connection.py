"""One HTTP(S) request to a checked endpoint, connected to the address the guard checked.

Why the standard library's http.client and not httpx: pinning a connection to an already checked
address is a short `connect()` override here (httpx needs a custom transport for it), http.client
never follows a redirect on its own (so the API key cannot be carried to another host), and it
adds no dependency. TLS uses the default context (certificates and host names verified), or a CA
file the user gave for a server with its own certificate.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from engines.errors import CandeiaError
from engines.remote.guard import Target

CONNECT_TIMEOUT_S = 10.0


class RemoteError(CandeiaError, RuntimeError):
    """The remote endpoint could not be reached, or answered with an error."""


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to one checked address; Host header stays the name the user gave."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, target: Target, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target, address, timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


@dataclass
class Opened:
    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse

    def close(self) -> None:
        self.connection.close()

    def abort(self) -> None:
        """Unblock a read waiting on another thread (Stop): the socket is shut down under it."""
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise CandeiaError(f"cannot read the CA file {ca_file}: {exc}") from exc


def _connection(target: Target, address: str, timeout: float, ca_file: str | None) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPS(target, address, timeout, tls_context(ca_file))
    return _PinnedHTTP(target, address, timeout)


def request(target: Target, method: str, path: str, *, body: dict[str, Any] | None = None,
            api_key: str | None = None, timeout: float = 60.0, ca_file: str | None = None,
            accept: str = "application/json") -> Opened:
    """Send one request to the first checked address that answers; the response is the caller's to read.
    Any status but 200 becomes a RemoteError with the server's own message."""
    headers = {"Accept": accept, "User-Agent": "Candeia"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    failure: OSError | None = None
    for address in target.addresses:
        connection = _connection(target, address, timeout, ca_file)
        try:
            connection.request(method, target.base_path + path, body=payload, headers=headers)
            response = connection.getresponse()
        except ssl.SSLCertVerificationError as exc:
            connection.close()
            raise RemoteError(
                f"the certificate of {target.host} could not be verified ({exc.verify_message}); "
                "if it is your own server, give the certificate of its CA") from exc
        except OSError as exc:
            connection.close()
            failure = exc
            continue
        if response.status != 200:
            problem = _status_problem(target, response)
            connection.close()
            raise RemoteError(problem)
        return Opened(connection, response)
    reason = failure.strerror if failure is not None and failure.strerror else str(failure)
    raise RemoteError(f"cannot reach {target.origin} ({reason}); is the server running?")


def _status_problem(target: Target, response: http.client.HTTPResponse) -> str:
    if 300 <= response.status < 400:
        return (f"{target.origin} redirected to {response.getheader('Location', 'another address')}; Candeia does not "
                "follow redirects, so the API key goes only to the address you gave: use the final address")
    try:
        raw = response.read(64 * 1024)
    except OSError:
        raw = b""
    message = _error_message(raw) or response.reason
    if response.status == 401:
        return f"{target.origin} refused the API key (401: {message})"
    return f"{target.origin} answered {response.status}: {message}"


def _error_message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:300]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    if isinstance(error, str):
        return error[:300]
    return str(data)[:300]


def read_json(opened: Opened, limit: int = 16 * 1024 * 1024) -> Any:
    try:
        raw = opened.response.read(limit)
    except OSError as exc:
        raise RemoteError(f"the connection was lost while reading the answer ({exc})") from exc
    finally:
        opened.close()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RemoteError("the server's answer is not JSON; is this an OpenAI-compatible endpoint?") from exc
