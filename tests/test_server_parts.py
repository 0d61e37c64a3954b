"""The server's parts on their own: the Host/Origin/token rules, binding choices, the token file,
tool-call parsing, idle unloading, and `candeia-cli serve --check` as a process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engines.errors import UsageError
from engines.server.guard import host_allowed, token_matches
from engines.server.pool import ModelPool
from engines.server.run import ServeOptions
from engines.server.token import load_or_create_token, new_token
from engines.server.tools import forced_schema, parse_call
from engines.store.model_store import ModelStore
from tests_support import CLI_TIMEOUT_S, PROJECT_ROOT

TOOLS = [{"name": "get_weather", "parameters": {"type": "object"}}]


@pytest.mark.parametrize(("host", "lan", "allowed"), [
    ("127.0.0.1:8434", False, True), ("localhost:8434", False, True), ("[::1]:8434", False, True),
    ("127.0.0.5", False, True), ("evil.example:8434", False, False), ("192.168.1.20:8434", False, False),
    ("192.168.1.20:8434", True, True), ("evil.example", True, False), ("", False, False),
])
def test_only_ip_literals_and_localhost_pass_the_host_check(host: str, lan: bool, allowed: bool) -> None:
    assert host_allowed(host, lan=lan) is allowed


def test_the_token_must_be_a_bearer_token_and_match_exactly() -> None:
    assert token_matches("Bearer secret-token", "secret-token")
    assert token_matches("bearer secret-token", "secret-token")
    assert not token_matches("Bearer secret-toke", "secret-token")
    assert not token_matches("Basic secret-token", "secret-token")
    assert not token_matches("", "secret-token")


def test_a_network_address_needs_the_lan_choice() -> None:
    assert ServeOptions().bind_host() == "127.0.0.1"
    with pytest.raises(UsageError, match="--lan"):
        ServeOptions(host="0.0.0.0").bind_host()
    with pytest.raises(UsageError, match="--lan"):
        ServeOptions(host="192.168.1.20").bind_host()
    assert ServeOptions(lan=True).bind_host() == "0.0.0.0"
    assert ServeOptions(host="192.168.1.20", lan=True).bind_host() == "192.168.1.20"
    with pytest.raises(UsageError, match="parallel"):
        ServeOptions(parallel=0).bind_host()


def test_the_token_is_made_once_and_kept_private(candeia_home: Path) -> None:
    first = load_or_create_token()
    assert first.startswith("cdk-") and len(first) > 40
    assert load_or_create_token() == first
    path = candeia_home / "server-token"
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert new_token() != first and load_or_create_token() != first


def test_a_tool_call_is_read_bare_fenced_or_tagged() -> None:
    for text in ('{"name": "get_weather", "arguments": {"city": "Paris"}}',
                 '```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```',
                 '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'):
        call = parse_call(text, TOOLS)
        assert call is not None and call["function"]["name"] == "get_weather"
        assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert parse_call('{"name": "other", "arguments": {}}', TOOLS) is None
    assert parse_call("It is sunny.", TOOLS) is None
    assert forced_schema(TOOLS, "auto") is None
    schema = json.loads(forced_schema(TOOLS, "required") or "")
    assert schema["properties"]["name"] == {"const": "get_weather"}


def test_an_idle_model_is_unloaded(tmp_path: Path, tiny_gguf: Path) -> None:
    store = ModelStore(tmp_path / "models.json", tmp_path / "models")
    store.add(tiny_gguf, model_id="tiny")
    pool = ModelPool(parallel=2, idle_unload_s=0.5, store=lambda: ModelStore(tmp_path / "models.json"))
    try:
        with pool.use("tiny", "chat") as engine:
            assert engine.busy_slots() == 0
            time.sleep(1.0)  # in use: kept however long it takes
            assert pool.loaded_ids() == ["tiny"]
        deadline = time.monotonic() + 10
        while pool.loaded_ids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.loaded_ids() == [] and engine.closed
    finally:
        pool.close()


class Closable:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_model_the_reaper_takes_is_never_handed_to_a_request(tmp_path: Path, tiny_gguf: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The idle check and the removal happen under one lock. Unloading is slowed down here (as a host's
    close is slow) to open the window a race needs: a request that comes while the reaper is at work
    gets a freshly loaded model, never the one being closed."""
    store = ModelStore(tmp_path / "models.json", tmp_path / "models")
    store.add(tiny_gguf, model_id="tiny")
    opened: list[Closable] = []
    monkeypatch.setattr(ModelPool, "_open", lambda self, installed, kind: opened.append(Closable()) or opened[-1])
    unloading = threading.Event()
    unload = ModelPool.unload

    def slow_unload(self: ModelPool, model_id: str, **options: bool) -> None:
        unloading.set()
        time.sleep(0.5)
        unload(self, model_id, **options)

    monkeypatch.setattr(ModelPool, "unload", slow_unload)
    pool = ModelPool(parallel=2, idle_unload_s=0.3, store=lambda: ModelStore(tmp_path / "models.json"))
    try:
        with pool.use("tiny", "chat"):
            pass
        deadline = time.monotonic() + 10
        while pool.loaded_ids() and not unloading.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)  # until the reaper is at work on it
        with pool.use("tiny", "chat") as model:
            time.sleep(0.6)  # past any unload that was under way
            assert not model.closed
        assert opened[0].closed and len(opened) == 2
    finally:
        pool.close()


def test_serve_check_answers_itself_and_stops(tiny_gguf: Path, candeia_home: Path) -> None:
    ModelStore().add(tiny_gguf, model_id="tiny")
    result = subprocess.run([sys.executable, "-m", "engines.cli.main", "serve", "--port", "0", "--check", "--json"],
                            capture_output=True, text=True, timeout=CLI_TIMEOUT_S, cwd=PROJECT_ROOT,
                            env=dict(os.environ), stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    first, check = result.stdout.splitlines()[:2]
    started = json.loads(first)
    assert started["url"].startswith("http://127.0.0.1:") and started["token"] == load_or_create_token()
    assert check == "check: 1 model(s) served"


def test_serve_refuses_a_network_address_without_lan(candeia_home: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "engines.cli.main", "serve", "--host", "0.0.0.0", "--check"],
                            capture_output=True, text=True, timeout=CLI_TIMEOUT_S, cwd=PROJECT_ROOT,
                            env=dict(os.environ), stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "--lan" in result.stderr.strip().splitlines()[-1]  # a usage error, as others


def test_an_allowed_web_page_gets_its_preflight_and_answers(tmp_path: Path) -> None:
    import http.client

    from engines.server.run import LocalServer

    page = "http://localhost:3000"
    server = LocalServer(ServeOptions(port=0, token="t" * 40, allowed_origins=(page,)),
                         store=lambda: ModelStore(tmp_path / "models.json"))
    server.start()

    def ask(method: str, origin: str, token: str | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Origin": origin, **({"Authorization": f"Bearer {token}"} if token else {})}
        connection.request(method, "/v1/models", headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    try:
        preflight = ask("OPTIONS", page)
        assert preflight.status == 204 and preflight.getheader("access-control-allow-origin") == page
        answered = ask("GET", page, "t" * 40)
        assert answered.status == 200 and answered.getheader("access-control-allow-origin") == page
        assert ask("GET", page).status == 401  # an allowed page still needs the token
        assert ask("OPTIONS", "https://evil.example").status == 403
    finally:
        server.stop()
