"""Settings > Local server: the switch starts a loopback server that answers with its token, shows the
address and token, and the status bar says so while it runs; the network option warns first."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import pytest

from desktop.main_window import MainWindow
from engines.store.model_store import InstalledModel


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listed_models(port: int, token: str) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/v1/models", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_the_switch_serves_on_loopback_and_the_status_bar_shows_it(window: MainWindow,
                                                                  installed_model: InstalledModel) -> None:
    section = window.settings_page.server
    port = free_port()
    section.port.setValue(port)
    assert not window.server_label.isVisibleTo(window)
    section.enabled.setChecked(True)
    assert window.ctx.server.running, section.status.text()
    assert section.url.text() == f"http://127.0.0.1:{port}/v1" and section.token.text().startswith("cdk-")
    assert window.server_label.isVisibleTo(window) and window.server_label.text() == "Server on"
    status, body = listed_models(port, section.token.text())
    assert status == 200 and [m["id"] for m in body["data"]] == [installed_model.id]
    assert listed_models(port, "not-the-token")[0] == 401
    section.enabled.setChecked(False)
    assert not window.ctx.server.running and section.url.text() == "" and section.token.text() == ""
    assert not window.server_label.isVisibleTo(window)
    with pytest.raises(OSError):  # the socket is closed
        listed_models(port, "x")


def test_the_network_option_warns_before_anything_listens(window: MainWindow) -> None:
    section = window.settings_page.server
    assert not section.warning.isVisibleTo(section)
    section.lan.setChecked(True)
    assert section.warning.isVisibleTo(section) and "network" in section.warning.text()
    assert not window.ctx.server.running  # choosing the option alone opens nothing


def test_a_taken_port_is_one_clear_line(window: MainWindow) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        section = window.settings_page.server
        section.port.setValue(int(taken.getsockname()[1]))
        section.enabled.setChecked(True)
        assert not window.ctx.server.running and not section.enabled.isChecked()
        assert "could not start" in section.status.text() and "port" in section.status.text()
