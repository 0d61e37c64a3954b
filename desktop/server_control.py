"""The local OpenAI-compatible server inside the app: started and stopped from Settings, shown in the status bar.

The server (engines/server) runs on threads of its own and its models in engine hosts; starting
it opens a socket and returns at once, so this runs on the UI thread. Its models count against
the app's memory budget through the ModelOwner (slots `server:<id>`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from engines.errors import CandeiaError
from engines.system.model_owner import ModelOwner

if TYPE_CHECKING:
    from engines.server.run import LocalServer

log = logging.getLogger(__name__)


class ServerControl(QObject):
    changed = Signal()  # started, stopped or failed: read `running`, `url`, `lan`, `error`

    def __init__(self, owner: ModelOwner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._owner = owner
        self._server: LocalServer | None = None
        self.url = ""
        self.token = ""
        self.lan = False
        self.error = ""

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, *, port: int, lan: bool) -> bool:
        from engines.server.run import LocalServer, ServeOptions

        self.stop()
        try:
            server = LocalServer(ServeOptions(port=port, lan=lan), owner=self._owner)
            self.url = server.start()
        except (CandeiaError, OSError, ImportError) as exc:
            self.error = str(exc)
            log.warning("server: could not start: %s", exc)
            self.changed.emit()
            return False
        self._server, self.token, self.lan, self.error = server, server.token, lan, ""
        log.info("server: listening at %s%s", self.url, " (network)" if lan else "")
        self.changed.emit()
        return True

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        self.url = ""
        log.info("server: stopped")
        self.changed.emit()
