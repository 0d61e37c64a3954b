"""A real "bigger machine" on loopback: a second Candeia (`candeia-cli serve`) or llama.cpp's own
llama-server, serving a tiny model. Chat and translation go through it, and a connection dropped
mid-stream (a proxy cuts it) gives a clear error, keeps the partial reply, and Retry works.

llama-server runs when CANDEIA_LLAMA_SERVER names its binary (built from the llama.cpp source of the
installed llama-cpp-python); the second Candeia runs when this checkout has `candeia-cli serve`.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from remote_server import CuttingProxy

from engines.chat.session import ChatSession, Reply
from engines.cli.main import main
from engines.errors import EngineCrashedError
from engines.host.open_model import open_chat_model
from engines.host.remote_chat import RemoteChatModel
from engines.llama.engine import TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message
from engines.translate.api import TranslationService

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
KEY = "bigger-machine-key"
LLAMA_SERVER = os.environ.get("CANDEIA_LLAMA_SERVER", "")
HAS_SERVE = importlib.util.find_spec("engines.server.run") is not None


@dataclass
class Bigger:
    port: int
    key: str
    model: str
    process: subprocess.Popen[str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, process: subprocess.Popen[str], path: str, key: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read() if process.stderr else ''}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not get ready")


def _candeia(tiny_gguf: Path, home: Path) -> Bigger:
    env = {**os.environ, "CANDEIA_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "engines.cli.main"]
    subprocess.run([*cli, "models", "add", str(tiny_gguf), "--id", "tiny"], env=env, check=True, timeout=120,
                   capture_output=True)
    process = subprocess.Popen([*cli, "serve", "--port", "0", "--json", "--ctx", "1024"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    started = json.loads(process.stdout.readline())
    port = int(started["url"].rsplit(":", 1)[1].split("/")[0])
    _wait_ready(port, process, "/v1/models", started["token"])
    return Bigger(port, started["token"], "tiny", process)


def _llama_server(tiny_gguf: Path) -> Bigger:
    port = _free_port()
    process = subprocess.Popen([LLAMA_SERVER, "-m", str(tiny_gguf), "--host", "127.0.0.1", "--port", str(port),
                                "-c", "1024", "-np", "1", "-t", "2", "--alias", "tiny", "--api-key", KEY],
                               text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_ready(port, process, "/health", KEY)
    return Bigger(port, KEY, "tiny", process)


@pytest.fixture(params=["candeia", "llama-server"])
def bigger(request: pytest.FixtureRequest, tiny_gguf: Path, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Bigger, CuttingProxy]]:
    if request.param == "candeia" and not HAS_SERVE:
        pytest.skip("this checkout has no `candeia-cli serve`")
    if request.param == "llama-server" and not Path(LLAMA_SERVER).is_file():
        pytest.skip("set CANDEIA_LLAMA_SERVER to a llama-server binary")
    machine = _candeia(tiny_gguf, tmp_path / "bigger") if request.param == "candeia" else _llama_server(tiny_gguf)
    proxy = CuttingProxy(machine.port)
    monkeypatch.setenv("BIG_KEY", machine.key)
    assert main(["models", "add-remote", "big", "--url", f"http://127.0.0.1:{proxy.port}/v1",
                 "--api-key-env", "BIG_KEY"]) == 0
    yield machine, proxy
    proxy.close()
    machine.process.terminate()
    try:
        machine.process.wait(20)
    except subprocess.TimeoutExpired:
        machine.process.kill()
        machine.process.wait(10)
    for stream in (machine.process.stdout, machine.process.stderr):
        if stream is not None:
            stream.close()


SAMPLING = SamplingOptions(temperature=0.0, max_tokens=40, seed=7)
ASK = [Message(role="user", content="Tell me a story about a lighthouse.")]


def _send(model: RemoteChatModel) -> tuple[str, Reply]:
    shown = ""
    for event in ChatSession(model).send(ASK, SAMPLING):
        if isinstance(event, TextDelta):
            shown += event.text
        elif isinstance(event, Reply):
            return shown, event
    raise AssertionError("no reply")


def _open() -> RemoteChatModel:
    model = open_chat_model("big/tiny")
    assert isinstance(model, RemoteChatModel)
    return model


def test_chat_through_it(bigger: tuple[Bigger, CuttingProxy]) -> None:
    shown, reply = _send(_open())
    assert reply.text == shown and reply.stats.generated_tokens > 0
    assert reply.stats.stop_reason in ("eos", "length")


def test_translate_through_it(bigger: tuple[Bigger, CuttingProxy]) -> None:
    with TranslationService() as service:
        result = service.translate("Good morning.\n\nThank you.", target="pt", source="en", model="big/tiny")
    assert result.models == ["tiny (big)"] and result.sentences == 2
    assert result.text.count("\n\n") == 1  # the document's structure is kept whatever the model says


def test_dropped_connection_keeps_the_partial_reply_and_retry_works(bigger: tuple[Bigger, CuttingProxy]) -> None:
    _, proxy = bigger
    full, _ = _send(_open())
    model = _open()
    # the role, then the first piece of text (sent at once): a fast machine sends the rest in one batch
    proxy.cut_after = 2
    shown = ""
    with pytest.raises(EngineCrashedError, match="lost mid-reply"):
        for event in ChatSession(model).send(ASK, SAMPLING):
            if isinstance(event, TextDelta):
                shown += event.text
    assert full.startswith(shown) and len(shown) < len(full)
    assert model.death is not None  # what the GUI's Retry looks at: it opens the model again
    again, reply = _send(_open())
    assert again == full and reply.text == full
