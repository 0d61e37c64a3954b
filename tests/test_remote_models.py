"""Remote endpoints as models: `models add-remote/list/remove`, keys kept out of the list file, and chat
and LLM translation through a loopback "bigger machine", with a dropped stream and Retry."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from remote_server import FakeServer, fake_server_fixture, loopback_only_fixture  # noqa: F401

from engines.chat.session import ChatSession, Reply
from engines.cli.main import main
from engines.errors import EngineCrashedError, ModelNotFoundError
from engines.host.open_model import open_chat_model
from engines.host.remote_chat import RemoteChatModel
from engines.llama.engine import TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message
from engines.remote import keys
from engines.store.remotes import RemoteStore
from engines.translate.api import TranslationService


def add(server: FakeServer, name: str = "box", *extra: str) -> int:
    return main(["models", "add-remote", name, "--url", server.url, *extra])


def test_add_list_remove(fake_server: FakeServer, capsys: pytest.CaptureFixture[str], candeia_home: Path) -> None:
    fake_server.behaviour.models = [{"id": "qwen-7b"}, {"id": "llama-8b"}]
    assert add(fake_server) == 0
    assert "added box/qwen-7b (runs on another computer" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out
    assert "box/qwen-7b  remote  (runs on another computer: " in listed and "box/llama-8b" in listed
    assert main(["models", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {e["id"]: e["format"] for e in entries} == {"box/qwen-7b": "remote", "box/llama-8b": "remote"}
    assert add(fake_server) == 2  # the name is taken
    assert main(["models", "remove", "box"]) == 0
    assert "removed the remote endpoint box" in capsys.readouterr().out
    assert RemoteStore().models() == []


def test_offline_refusal_registers_nothing_and_sends_nothing(loopback_only: list[object],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["models", "add-remote", "far", "--url", "http://203.0.113.5:8080/v1"])
    assert code != 0
    assert "offline mode" in capsys.readouterr().err
    assert loopback_only == [] and RemoteStore().endpoints() == []


def test_key_from_stdin_is_kept_out_of_the_list(fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                candeia_home: Path) -> None:
    fake_server.behaviour.api_key = "sk-local-1"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("sk-local-1\n"))
    assert add(fake_server, "box", "--api-key-stdin") == 0
    assert "sk-local-1" not in (candeia_home / "remotes.json").read_text()
    key_file = candeia_home / "remote-keys.json"  # no usable keyring in tests: the private file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    model = open_chat_model("box/big-model")
    assert model.chat([Message(role="user", content="hi")]).text == "echo: hi"
    assert fake_server.behaviour.requests[-1]["headers"]["Authorization"] == "Bearer sk-local-1"
    main(["models", "remove", "box"])
    assert keys.load_key("box") is None


def test_key_from_environment(fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    fake_server.behaviour.api_key = "sk-env"
    monkeypatch.setenv("BOX_KEY", "sk-env")
    assert add(fake_server, "box", "--api-key-env", "BOX_KEY") == 0
    assert RemoteStore().endpoint("box").key_env == "BOX_KEY"
    monkeypatch.delenv("BOX_KEY")
    assert main(["chat", "-m", "box/big-model", "hello"]) == 1
    assert "BOX_KEY" in capsys.readouterr().err


def test_keyring_is_used_when_usable(candeia_home: Path) -> None:
    previous = keyring.get_keyring()  # chosen before the class below exists: keyring adopts every backend class

    class _MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.secrets: dict[tuple[str, str], str] = {}

        def set_password(self, service: str, username: str, password: str) -> None:
            self.secrets[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return self.secrets.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            self.secrets.pop((service, username), None)

    ring = _MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        assert keys.save_key("box", "sk-ring") == "keyring"
        assert ring.secrets == {("candeia-remote", "box"): "sk-ring"}
        assert keys.load_key("box") == "sk-ring"
        assert not (candeia_home / "remote-keys.json").exists()
        keys.delete_key("box")
        assert ring.secrets == {}
    finally:
        keyring.set_keyring(previous)


def test_chat_through_the_bigger_machine(fake_server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    add(fake_server)
    capsys.readouterr()
    assert main(["chat", "-m", "box/big-model", "Good morning"]) == 0
    assert capsys.readouterr().out.strip() == "echo: Good morning"
    sent = fake_server.behaviour.requests[-1]["body"]
    assert sent["messages"] == [{"role": "user", "content": "Good morning"}] and sent["stream"] is True


def send(session: ChatSession, text: str) -> tuple[str, list[Any]]:
    shown, events = "", []
    messages = [Message(role="system", content="Be brief."), Message(role="user", content=text)]
    for event in session.send(messages, SamplingOptions(temperature=0.0)):
        events.append(event)
        if isinstance(event, TextDelta):
            shown += event.text
    return shown, events


def test_dropped_stream_keeps_the_partial_reply_and_retry_works(fake_server: FakeServer) -> None:
    add(fake_server)
    model = open_chat_model("box/big-model")
    assert isinstance(model, RemoteChatModel)
    session = ChatSession(model)
    fake_server.behaviour.drop_after = 3
    shown = ""
    with pytest.raises(EngineCrashedError, match="lost mid-reply") as caught:
        for event in session.send([Message(role="user", content="tell me more")], SamplingOptions()):
            if isinstance(event, TextDelta):
                shown += event.text
    assert shown == "echo: tell m" and caught.value.kind == "dropped"
    assert model.death is caught.value and model.closed  # the GUI's Retry opens it again
    retried = ChatSession(open_chat_model("box/big-model"))
    text, events = send(retried, "tell me more")
    assert text == "echo: tell me more"
    reply = events[-1]
    assert isinstance(reply, Reply) and reply.stats.stop_reason == "eos" and reply.stats.generated_tokens == 5
    assert fake_server.behaviour.requests[-1]["body"]["messages"][0] == {"role": "system", "content": "Be brief."}


def test_translate_through_the_bigger_machine(fake_server: FakeServer) -> None:
    fake_server.behaviour.answer = lambda messages: "\n".join(
        f"[pt] {line}" for line in messages[-1]["content"].splitlines())
    add(fake_server)
    with TranslationService() as service:
        result = service.translate("Good morning. How are you?", target="pt", source="en", model="box/big-model")
    assert result.text == "[pt] Good morning. [pt] How are you?"
    assert result.models == ["big-model (box)"]
    system = fake_server.behaviour.requests[-1]["body"]["messages"][0]["content"]
    assert "into Portuguese" in system


def test_a_local_model_id_wins_over_a_remote_name(fake_server: FakeServer, tiny_gguf: Path) -> None:
    from engines.host.open_model import open_remote
    from engines.store.model_store import ModelStore

    add(fake_server, "box")
    store = ModelStore()
    assert isinstance(open_remote("box", None, store, RemoteStore()), RemoteChatModel)
    store.add(tiny_gguf, model_id="box")
    assert open_remote("box", None, store, RemoteStore()) is None


def test_offline_mode_turned_on_later_is_obeyed(loopback_only: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    from engines.llama.engine import LoadOptions
    from engines.remote.client import OpenAIClient
    from engines.remote.guard import RemoteRefusedError
    from engines.store.remotes import RemoteEndpoint, RemoteModel

    endpoint = RemoteEndpoint(name="far", url="http://203.0.113.5:8080/v1", models=[RemoteModel(id="m")])
    offline = [False]
    model = RemoteChatModel(endpoint, endpoint.models[0], OpenAIClient(endpoint.url), LoadOptions(),
                            offline=lambda: offline[0])
    offline[0] = True  # switched on after the model was opened
    with pytest.raises(RemoteRefusedError):
        model.chat([Message(role="user", content="hi")])
    assert loopback_only == []


def test_refresh_reads_the_model_list_again(fake_server: FakeServer, capsys: pytest.CaptureFixture[str]) -> None:
    fake_server.behaviour.models = [{"id": "qwen-7b"}, {"id": "llama-8b"}]
    assert add(fake_server, "box") == 0
    assert add(fake_server, "other") == 0
    fake_server.behaviour.models = [{"id": "qwen-7b"}, {"id": "mistral-7b"}]  # that computer swapped a model
    capsys.readouterr()
    assert main(["models", "refresh-remote", "box"]) == 0
    out = capsys.readouterr().out
    assert "added box/mistral-7b (runs on another computer" in out and "gone: box/llama-8b" in out
    assert [e.name for e in RemoteStore().endpoints()] == ["box", "other"]  # order kept
    assert [m.id for m in RemoteStore().endpoint("box").models] == ["qwen-7b", "mistral-7b"]
    assert [m.id for m in RemoteStore().endpoint("other").models] == ["qwen-7b", "llama-8b"]
    assert main(["models", "refresh-remote", "box"]) == 0
    assert "box serves the same models as before: qwen-7b, mistral-7b" in capsys.readouterr().out
    fake_server.behaviour.models = []
    assert main(["models", "refresh-remote", "box", "--json"]) != 0
    assert "now serves no models" in capsys.readouterr().err
    assert [m.id for m in RemoteStore().endpoint("box").models] == ["qwen-7b", "mistral-7b"]  # nothing lost
    assert main(["models", "refresh-remote", "nobody"]) != 0
    assert "no remote endpoint is named 'nobody'" in capsys.readouterr().err


def test_an_endpoint_removed_while_its_list_is_read_stays_removed(fake_server: FakeServer,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from engines.remote.client import OpenAIClient
    from engines.store.remotes import refresh_remote

    assert add(fake_server, "box") == 0
    store = RemoteStore()

    class RemovedMeanwhile(OpenAIClient):
        def list_models(self) -> Any:
            found = super().list_models()
            store.remove("box")  # the user removed it while this refresh was waiting for the answer
            return found

    with pytest.raises(ModelNotFoundError):
        refresh_remote(store, "box", RemovedMeanwhile(fake_server.url, api_key=None, offline=True))
    assert store.endpoints() == []
