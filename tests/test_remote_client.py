"""The OpenAI-compatible client: the offline guard (nothing is sent to a refused address), pinned
connections, TLS verification, no redirects, streaming, Stop and a dropped stream."""

from __future__ import annotations

import ipaddress
import os
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from remote_server import FakeServer, fake_server_fixture, loopback_only_fixture, start_server  # noqa: F401

from engines.jobs import CancelToken
from engines.remote import guard
from engines.remote.client import OpenAIClient, RemoteDroppedError, StreamEnd
from engines.remote.connection import RemoteError
from engines.remote.guard import RemoteRefusedError, check, is_local, parse_url

BODY = {"model": "big-model", "messages": [{"role": "user", "content": "hello there"}]}


def collect(client: OpenAIClient, cancel: CancelToken | None = None) -> tuple[str, StreamEnd | None]:
    text, end = "", None
    for event in client.stream_chat(BODY, cancel):
        if isinstance(event, StreamEnd):
            end = event
        else:
            text += event
    return text, end


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.20", "169.254.1.1",
                                     "fe80::1", "fd12:3456::1", "::ffff:192.168.0.3"])
def test_local_addresses(address: str) -> None:
    assert is_local(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["203.0.113.5", "8.8.8.8", "2001:db8::1", "172.32.0.1", "::ffff:203.0.113.5"])
def test_outside_addresses(address: str) -> None:
    assert not is_local(ipaddress.ip_address(address))


def test_offline_refuses_an_outside_address_before_sending(loopback_only: list[object]) -> None:
    client = OpenAIClient("http://203.0.113.5:8080/v1", api_key="secret", offline=True)
    with pytest.raises(RemoteRefusedError, match="offline mode"):
        client.list_models()
    with pytest.raises(RemoteRefusedError):
        list(client.stream_chat(BODY))
    assert loopback_only == []  # not even a connect was tried


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch, loopback_only: list[object]) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ("192.168.1.4", "203.0.113.5"))
    with pytest.raises(RemoteRefusedError, match=r"203\.0\.113\.5"):
        OpenAIClient("http://mixed.test:8080", offline=True).list_models()
    assert loopback_only == []


def test_private_address_allowed_offline_and_confirmed_host_too() -> None:
    assert check("http://10.0.0.1:8080/v1", offline=True).addresses == ("10.0.0.1",)
    assert check("https://203.0.113.5/v1", offline=True, confirmed=True).port == 443
    assert check("https://203.0.113.5/v1", offline=False).addresses == ("203.0.113.5",)


def test_urls() -> None:
    assert parse_url("http://Box.lan:8080/") == ("http", "box.lan", 8080, "/v1")
    assert parse_url("https://h/api/v1/")[3] == "/api/v1"
    for bad in ("ftp://h", "http://", "http://user:pw@h/v1"):
        with pytest.raises(Exception, match=r"address|host"):
            parse_url(bad)


def test_connection_is_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch, fake_server: FakeServer,
                                                     loopback_only: list[object]) -> None:
    answers = iter([("127.0.0.1",), ("203.0.113.5",)])  # a second lookup would rebind it elsewhere
    monkeypatch.setattr(guard, "resolve", lambda host, port: next(answers))
    models = OpenAIClient(f"http://rebind.test:{fake_server.port}/v1", offline=True).list_models()
    assert [m.id for m in models] == ["big-model"]
    assert fake_server.behaviour.requests[0]["headers"]["Host"] == f"rebind.test:{fake_server.port}"
    assert set(loopback_only) == {("127.0.0.1", fake_server.port)}  # create_connection, then connect


def test_models_and_key(fake_server: FakeServer, loopback_only: list[object]) -> None:
    fake_server.behaviour.api_key = "k-123"
    fake_server.behaviour.models = [{"id": "a", "meta": {"n_ctx_train": 2048}}, {"id": "b"}, {"nope": 1}]
    with pytest.raises(RemoteError, match="refused the API key"):
        OpenAIClient(fake_server.url, offline=True).list_models()
    models = OpenAIClient(fake_server.url, api_key="k-123", offline=True).list_models()
    assert [(m.id, m.context_size) for m in models] == [("a", 2048), ("b", None)]
    assert fake_server.behaviour.requests[-1]["headers"]["Authorization"] == "Bearer k-123"


def test_redirects_are_not_followed(fake_server: FakeServer) -> None:
    other = start_server()
    try:
        fake_server.behaviour.redirect_to = f"{other.url}/models"
        with pytest.raises(RemoteError, match="does not follow redirects"):
            OpenAIClient(fake_server.url, api_key="k-123").list_models()
        assert other.behaviour.requests == []  # the key never went there
    finally:
        other.stop()


def test_unreachable_server_says_so(fake_server: FakeServer) -> None:
    url = fake_server.url
    fake_server.stop()
    with pytest.raises(RemoteError, match=r"cannot reach .* is the server running"):
        OpenAIClient(url).list_models()


def test_stream(fake_server: FakeServer) -> None:
    text, end = collect(OpenAIClient(fake_server.url))
    assert text == "echo: hello there"
    assert end is not None and end.finish_reason == "stop" and end.usage["completion_tokens"] == 5
    assert fake_server.behaviour.requests[-1]["body"]["stream"] is True


def test_dropped_stream_raises_after_the_text_that_came(fake_server: FakeServer) -> None:
    fake_server.behaviour.drop_after = 2
    pieces: list[str] = []
    with pytest.raises(RemoteDroppedError, match="lost mid-reply") as caught:
        for event in OpenAIClient(fake_server.url).stream_chat(BODY):
            assert isinstance(event, str)
            pieces.append(event)
    assert "".join(pieces) == "echo: he"
    assert caught.value.kind == "dropped"
    assert collect(OpenAIClient(fake_server.url))[0] == "echo: hello there"  # sent again, it works


def test_stop_ends_a_silent_stream_at_once(fake_server: FakeServer) -> None:
    fake_server.behaviour.stall_after = 1
    cancel = CancelToken()
    threading.Timer(0.3, cancel.cancel).start()
    started = time.monotonic()
    text, end = collect(OpenAIClient(fake_server.url), cancel)
    assert time.monotonic() - started < 5
    assert text == "echo" and end is not None and end.finish_reason == "cancelled"


def test_server_errors_are_one_line(fake_server: FakeServer) -> None:
    with pytest.raises(RemoteError, match="answered 404: model 'other' not found"):
        list(OpenAIClient(fake_server.url).stream_chat({**BODY, "model": "other"}))


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60, env={**os.environ, "OPENSSL_CONF": "/dev/null"})
    return cert, key


def test_tls_is_verified(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = start_server(tls=context)
    try:
        with pytest.raises(RemoteError, match=r"certificate of 127\.0\.0\.1 could not be verified"):
            OpenAIClient(server.url).list_models()
        assert [m.id for m in OpenAIClient(server.url, ca_file=str(cert)).list_models()] == ["big-model"]
    finally:
        server.stop()
