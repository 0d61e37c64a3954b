"""A test switch that proves Candeia keeps to this machine: `CANDEIA_SOCKET_AUDIT=<log file>`.

With it set, importing `engines` (every entry point does, and so does every child process Candeia
starts, which inherits the environment) installs an audit hook on Python's socket events. Any
attempt to reach or listen beyond loopback (connect, sendto, sendmsg, bind, a name lookup) is
refused before a packet can leave and written to the log as one JSON line; each process also
writes an "armed" line, so a test can see that the children were guarded too.

Python's audit events cover every socket Python code opens (http.client, httpx, requests,
urllib3, huggingface_hub). Native code that opens sockets itself (Qt's network module, C
libraries) is not seen; Candeia uses none for networking.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import sys
import traceback
from typing import Any

AUDIT_ENV = "CANDEIA_SOCKET_AUDIT"
_installed = False


def is_loopback_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _address_problem(address: object, *, listening: bool = False) -> str | None:
    """Why a socket address could reach another machine, or None for loopback and local sockets."""
    if address is None or isinstance(address, (str, bytes)):
        return None  # a connected socket's own peer (checked at connect), or an AF_UNIX path
    if isinstance(address, tuple) and address and isinstance(address[0], (str, bytes)):
        host = address[0]
        if is_loopback_host(host):
            return None
        if listening and host in ("", b"", "0.0.0.0", "::"):
            return f"listening on every interface ({address!r})"
        return f"address {address!r} is not loopback"
    if isinstance(address, tuple) and all(isinstance(a, int) for a in address):
        return None  # AF_NETLINK and the like: the local kernel
    return f"address {address!r} is not loopback"


def verdict(event: str, args: tuple[Any, ...]) -> str | None:
    """None when a socket event stays on this machine, else why it does not."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        return _address_problem(args[1] if len(args) > 1 else None)
    if event == "socket.bind":
        return _address_problem(args[1] if len(args) > 1 else None, listening=True)
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0] if args else None
        return None if host is None or is_loopback_host(host) else f"name lookup of {host!r}"
    if event == "socket.getnameinfo":
        return _address_problem(args[0] if args else None)
    return None


def _record(path: str, entry: dict[str, object]) -> None:
    argv = getattr(sys, "orig_argv", sys.argv)  # the whole command line, `-m module` included (3.10+)
    line = json.dumps({"pid": os.getpid(), "orig_argv": argv[:6], **entry}, default=repr) + "\n"
    try:
        with open(path, "a", encoding="utf-8") as fh:  # O_APPEND: lines from many processes stay whole
            fh.write(line)
    except OSError:
        pass


def install(path: str) -> None:
    """Guard this process for good (audit hooks cannot be removed). Idempotent."""
    global _installed
    if _installed:
        return
    _installed = True

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if not event.startswith("socket."):
            return
        problem = verdict(event, args)
        if problem is None:
            return
        where = "".join(traceback.format_stack(limit=12)[:-1])
        _record(path, {"event": event, "blocked": problem, "stack": where})
        raise PermissionError(errno.EPERM, f"socket audit: {event} refused ({problem})")

    sys.addaudithook(hook)
    _record(path, {"event": "armed"})


def installed() -> bool:
    return _installed


def install_from_env() -> bool:
    path = os.environ.get(AUDIT_ENV, "").strip()
    if not path:
        return False
    install(path)
    return True
