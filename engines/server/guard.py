"""The gate every request passes before any handler runs: Host, Origin, bearer token, body size.

- Host: a web page can reach a loopback server through a DNS name it controls that resolves to
  127.0.0.1 (DNS rebinding); its requests then carry that name in Host. Only IP literals and
  `localhost` pass, and on a loopback bind only loopback ones.
- Origin: browsers send it on cross-site requests; any Origin not in the user's allow-list is
  refused, so a page in the user's browser cannot call the server even with a stolen token.
- Token: `Authorization: Bearer <token>`, compared in constant time (hmac.compare_digest).
- Body: at most `max_body` bytes, counted as they arrive (a missing or lying Content-Length
  does not help).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from engines.server.errors import ApiError, forbidden, unauthorized

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 8 << 20  # bytes: a long conversation or a batch of texts to embed, not a file upload
LOCAL_NAMES = ("localhost", "localhost.")


@dataclass(frozen=True)
class GuardPolicy:
    token: str
    lan: bool = False  # bound to the network: Host may be any IP literal, not only loopback ones
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    max_body: int = MAX_BODY


def host_allowed(host_header: str, *, lan: bool) -> bool:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8080
        host = host[1:host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a DNS name: what a rebinding page would send
    return lan or address.is_loopback


def token_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


class Guard:
    """ASGI middleware in front of the whole app."""

    def __init__(self, app: App, policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        cors = {"access-control-allow-origin": origin, "vary": "Origin"} if origin else {}
        if scope.get("method") == "OPTIONS" and origin and self._passes_host_and_origin(headers):
            # a browser's preflight for an allowed page: it carries no token, and gets no data
            preflight = {**cors, "access-control-allow-methods": "GET, POST",
                         "access-control-allow-headers": "authorization, content-type", "access-control-max-age": "600"}
            await Response(status_code=204, headers=preflight)(scope, receive, send)
            return
        try:
            self._check(scope, headers)
        except ApiError as refused:
            await refused.response()(scope, receive, send)
            return
        try:
            body = await self._read_body(receive, headers)
        except ApiError as refused:
            await refused.response(cors)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), _with_headers(send, cors))

    def _passes_host_and_origin(self, headers: dict[str, str]) -> bool:
        return (host_allowed(headers.get("host", ""), lan=self.policy.lan)
                and headers.get("origin") in self.policy.allowed_origins)

    def _check(self, scope: Scope, headers: dict[str, str]) -> None:
        if not host_allowed(headers.get("host", ""), lan=self.policy.lan):
            raise forbidden("this server answers only requests addressed to its own IP address or localhost")
        origin = headers.get("origin")
        if origin is not None and origin not in self.policy.allowed_origins:
            raise forbidden(f"requests from web pages ({origin}) are refused; "
                            "allow the origin in the server's settings")
        if scope.get("method") == "OPTIONS":
            raise ApiError(405, "preflight requests are not served", code="method_not_allowed")
        if not token_matches(headers.get("authorization", ""), self.policy.token):
            raise unauthorized("a valid bearer token is required (Authorization: Bearer <token>); "
                               "`candeia-cli serve` and Settings show it")

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes:
        limit = self.policy.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than {limit // (1 << 20)} MiB", code="request_too_large")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once, then the client's own messages (a streaming response listens for its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    if not extra:
        return send

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", [])) + [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        await send(message)

    return wrapped
