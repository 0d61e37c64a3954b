"""Which remote addresses Candeia may connect to, decided before any connection is opened.

In offline mode only this computer and the local network are allowed: loopback, the private
ranges (RFC 1918, fc00::/7), link-local, or a host the user confirmed for this endpoint. The host
name is resolved first and every address it resolves to is checked; the connection is then made
to one of those checked addresses (never resolved again), so a DNS answer that changes between the
check and the connect (DNS rebinding) cannot move it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from engines.errors import CandeiaError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class RemoteRefusedError(CandeiaError, PermissionError):
    """An endpoint that offline mode (or a bad address) does not allow; nothing was sent to it."""


@dataclass(frozen=True)
class Target:
    """A checked endpoint: where to connect (the checked addresses) and what to call the host."""

    scheme: str
    host: str  # as the user wrote it: the Host header and the TLS server name
    port: int
    base_path: str  # "/v1" style prefix, without a trailing "/"
    addresses: tuple[str, ...]

    @property
    def origin(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_url(url: str) -> tuple[str, str, int, str]:
    """scheme, host, port and base path of an endpoint URL; one clear error for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise CandeiaError(f"{url!r} is not an http:// or https:// address")
    try:
        port = parts.port
    except ValueError as exc:
        raise CandeiaError(f"{url!r} has a bad port") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise CandeiaError(f"{url!r} has no host name")
    if parts.username or parts.password:
        raise CandeiaError("put the API key in its own field, not in the address")
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[:-3]
    return scheme, host, port or (443 if scheme == "https" else 80), path + "/v1"


def is_local(address: IPAddress) -> bool:
    """This computer or the local network: loopback, private ranges, link-local."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_link_local:
        return True
    if isinstance(address, ipaddress.IPv4Address):
        return any(address in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
    return address in _UNIQUE_LOCAL


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address `host` resolves to (an IP literal is its own, without a lookup)."""
    try:
        return (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CandeiaError(f"cannot find the computer {host!r} ({exc.strerror or exc})") from exc
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if address not in found:
            found.append(address)
    if not found:
        raise CandeiaError(f"cannot find the computer {host!r}")
    return tuple(found)


def check(url: str, *, offline: bool, confirmed: bool = False) -> Target:
    """The endpoint with its checked addresses; RemoteRefusedError before anything is sent if offline
    mode does not allow one of them. `confirmed`: the user allowed this host outside the local network."""
    scheme, host, port, base = parse_url(url)
    addresses = resolve(host, port)
    if offline and not confirmed:
        outside = [a for a in addresses if not is_local(ipaddress.ip_address(a))]
        if outside:
            raise RemoteRefusedError(
                f"{host} ({', '.join(outside)}) is not on this computer or the local network, and Candeia is in "
                "offline mode; turn offline mode off or confirm this address to use it")
    return Target(scheme, host, port, base, addresses)
