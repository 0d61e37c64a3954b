"""Starting and stopping the server: uvicorn on a thread of its own (the GUI) or in the foreground (the CLI).

It binds to loopback unless the user asked for the network (`lan`), and then only to the address
given or every interface. Offline mode does not stop it: it listens on this machine and sends
nothing anywhere (the socket audit allows only loopback listening sockets, engines/security).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from engines.errors import UsageError
from engines.security.socket_audit import is_loopback_host
from engines.server import DEFAULT_PORT
from engines.server.guard import GuardPolicy
from engines.server.pool import ModelPool
from engines.store.model_store import ModelStore
from engines.system.model_owner import ModelOwner

log = logging.getLogger(__name__)

DEFAULT_PARALLEL = 4
DEFAULT_IDLE_UNLOAD_S = 300.0
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    lan: bool = False
    parallel: int = DEFAULT_PARALLEL
    idle_unload_s: float = DEFAULT_IDLE_UNLOAD_S
    allowed_origins: tuple[str, ...] = ()
    context_size: int | None = None  # per parallel slot; None: the Settings' context size
    threads: int | None = None  # None: the Settings' threads
    token: str = ""

    def bind_host(self) -> str:
        """The address to listen on, refusing a network address unless `lan` was chosen."""
        host = self.host
        if self.lan and host in ("127.0.0.1", "localhost", "::1"):
            host = "0.0.0.0"
        if not self.lan and not is_loopback_host(host):
            raise UsageError(f"{host} is reachable from other computers; add --lan (Settings: 'Allow other "
                             "computers') to serve on the network")
        if host != "localhost":
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise UsageError(f"'{host}' is not an IP address") from None
        if not 0 <= self.port <= 65535:
            raise UsageError(f"port {self.port} is out of range (0-65535)")
        if not 1 <= self.parallel <= 64:
            raise UsageError("--parallel must be between 1 and 64")
        if self.idle_unload_s <= 0:
            raise UsageError("--idle-unload must be a positive number of seconds")
        return host


class LocalServer:
    def __init__(self, options: ServeOptions, owner: ModelOwner | None = None,
                 store: Callable[[], ModelStore] = ModelStore) -> None:
        import uvicorn

        from engines.server.app import build_app
        from engines.server.token import load_or_create_token

        self.options = options
        self.host = options.bind_host()
        self.token = options.token or load_or_create_token()
        self.pool = ModelPool(parallel=options.parallel, idle_unload_s=options.idle_unload_s, owner=owner,
                              store=store, context_size=options.context_size, threads=options.threads)
        policy = GuardPolicy(token=self.token, lan=options.lan, allowed_origins=frozenset(options.allowed_origins))
        config = uvicorn.Config(build_app(self.pool, policy), host=self.host, port=options.port, log_level="warning",
                                access_log=False, lifespan="off", ws="none", http="h11",
                                timeout_graceful_shutdown=3, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.port = options.port

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "localhost") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}/v1"

    def start(self) -> str:
        """Listen on a thread of its own; returns the base URL once the socket is open."""
        try:
            listening = self._bind()
        except OSError as exc:
            self.pool.close()
            raise UsageError(f"the server could not listen on {self.host}:{self.options.port}: "
                             f"{exc.strerror or exc} (is the port taken?)") from None
        self.port = int(listening.getsockname()[1])
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listening]},
                                        name="candeia-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(f"the server could not start on {self.host}:{self.port}")
            time.sleep(0.02)
        return self.url

    def _bind(self) -> socket.socket:
        """The listening socket, bound here so that a taken port is an error the caller can show."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        try:
            if sys.platform != "win32":  # on Windows SO_REUSEADDR would let two servers share the port
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((self.host, self.options.port))
            listening.listen(128)
        except OSError:
            listening.close()
            raise
        return listening

    def wait(self) -> None:
        """Block until the server stops (Ctrl+C in the CLI)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10.0)
        self.pool.close()
