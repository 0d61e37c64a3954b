"""The local server through the official `openai` client, on loopback, with tiny GGUF models.

One server (4 parallel slots) serves the whole module; its models load in the fixture, so each test
sees them warm and no engine host starts or ends inside a test.
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest

from engines.server.run import LocalServer, ServeOptions
from engines.store.model_store import ModelStore

TOKEN = "cdk-test-" + "x" * 40
USER = [{"role": "user", "content": "Hello there"}]
WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"enum": ["Paris", "Lisbon"]}}, "required": ["city"]}}}]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path) -> Iterator[LocalServer]:
    folder = tmp_path_factory.mktemp("served")
    store = ModelStore(folder / "models.json", folder / "models")
    store.add(tiny_gguf, model_id="tiny")
    shutil.copy(tiny_gguf, folder / "embedder.gguf")
    store.add(folder / "embedder.gguf", model_id="tiny-embed", tasks=["embed"])
    served = LocalServer(ServeOptions(port=0, token=TOKEN, parallel=4, idle_unload_s=3600),
                         store=lambda: ModelStore(folder / "models.json", folder / "models"))
    served.start()
    try:
        warm = client(served)
        warm.chat.completions.create(model="tiny", messages=USER, max_tokens=1)
        warm.embeddings.create(model="tiny-embed", input="warm")
        yield served
    finally:
        served.stop()


def client(server: LocalServer, key: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=120)


class Answer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def raw(server: LocalServer, path: str, *, headers: dict[str, str] | None = None,
        content: bytes | None = None) -> Answer:
    """One request by hand (http.client sends exactly the Host and Origin a test gives)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        given = dict(headers or {})
        connection.putrequest("POST" if content is not None else "GET", "/v1" + path,
                              skip_host="Host" in given, skip_accept_encoding=True)
        for name, value in given.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(content or b"")))
        connection.endheaders(content)
        response = connection.getresponse()
        return Answer(response.status, response.read())
    except (ConnectionError, http.client.HTTPException) as exc:  # a server that hangs up on a huge body
        return Answer(-1, str(exc).encode())
    finally:
        connection.close()


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_models_lists_the_installed_chat_and_embedding_models(server: LocalServer) -> None:
    ids = [m.id for m in client(server).models.list()]
    assert sorted(ids) == ["tiny", "tiny-embed"]
    assert client(server).models.retrieve("tiny").id == "tiny"


def test_chat_stream_and_non_stream_give_the_same_greedy_reply(server: LocalServer) -> None:
    api = client(server)
    whole = api.chat.completions.create(model="tiny", messages=USER, max_tokens=12, temperature=0)
    assert whole.choices[0].finish_reason == "length"
    assert whole.usage is not None and whole.usage.completion_tokens == 12 and whole.usage.prompt_tokens > 0
    text = whole.choices[0].message.content
    assert text
    chunks = list(api.chat.completions.create(model="tiny", messages=USER, max_tokens=12, temperature=0,
                                              stream=True, stream_options={"include_usage": True}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12


def test_completions_stream_and_not(server: LocalServer) -> None:
    api = client(server)
    whole = api.completions.create(model="tiny", prompt="Once upon a time", max_tokens=6, temperature=0)
    assert whole.object == "text_completion" and whole.usage is not None and whole.usage.completion_tokens == 6
    streamed = "".join(c.choices[0].text for c in api.completions.create(
        model="tiny", prompt="Once upon a time", max_tokens=6, temperature=0, stream=True))
    assert streamed == whole.choices[0].text
    echoed = api.completions.create(model="tiny", prompt="Once upon a time", max_tokens=6, temperature=0, echo=True)
    assert echoed.choices[0].text == "Once upon a time" + whole.choices[0].text


def test_the_same_conversation_again_reuses_its_slots_cache(server: LocalServer) -> None:
    api = client(server)
    messages: Any = [{"role": "user", "content": "Tell me about the old lighthouse by the sea, please."}]
    first = api.chat.completions.create(model="tiny", messages=messages, max_tokens=8, temperature=0)
    again = api.chat.completions.create(model="tiny", messages=messages, max_tokens=8, temperature=0)
    assert first.usage is not None and again.usage is not None and again.usage.prompt_tokens_details is not None
    assert again.usage.prompt_tokens_details.cached_tokens == again.usage.prompt_tokens - 1
    assert again.choices[0].message.content == first.choices[0].message.content


def test_embeddings_as_floats_and_base64(server: LocalServer) -> None:
    api = client(server)
    floats = api.embeddings.create(model="tiny-embed", input=["a harbour", "boats at dawn"], encoding_format="float")
    packed = api.embeddings.create(model="tiny-embed", input=["a harbour", "boats at dawn"])  # the client asks base64
    assert [d.index for d in floats.data] == [0, 1]
    a, b = (np.asarray(d.embedding) for d in floats.data)
    assert a.shape == (64,) and abs(float(np.linalg.norm(a)) - 1.0) < 1e-4 and not np.allclose(a, b)
    assert np.allclose(np.asarray(packed.data[0].embedding), a, atol=1e-6)


def test_a_json_schema_reply_parses_and_follows_the_schema(server: LocalServer) -> None:
    schema = {"type": "object",
              "properties": {"colour": {"enum": ["red", "green", "blue"]}, "ripe": {"type": "boolean"}},
              "required": ["colour", "ripe"], "additionalProperties": False}
    reply = client(server).chat.completions.create(
        model="tiny", messages=[{"role": "user", "content": "Describe the apple as JSON"}], max_tokens=200,
        temperature=0, response_format={"type": "json_schema", "json_schema": {"name": "apple", "schema": schema}})
    value = json.loads(reply.choices[0].message.content or "")
    assert value["colour"] in ("red", "green", "blue") and isinstance(value["ripe"], bool)
    assert reply.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_required_tool_call_comes_back_as_a_tool_call(server: LocalServer, stream: bool) -> None:
    kwargs: dict[str, Any] = {"model": "tiny", "messages": [{"role": "user", "content": "Weather in Lisbon?"}],
                              "max_tokens": 300, "temperature": 0, "tools": WEATHER, "tool_choice": "required"}
    if stream:
        chunks = [c for c in client(server).chat.completions.create(**kwargs, stream=True) if c.choices]
        calls = [call for c in chunks for call in c.choices[0].delta.tool_calls or []]
        finish = chunks[-1].choices[0].finish_reason
    else:
        reply = client(server).chat.completions.create(**kwargs)
        calls, finish = list(reply.choices[0].message.tool_calls or []), reply.choices[0].finish_reason
    assert finish == "tool_calls" and len(calls) == 1
    assert calls[0].function is not None and calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments or "")["city"] in ("Paris", "Lisbon")


def test_a_tool_result_goes_back_into_the_conversation(server: LocalServer) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    reply = client(server).chat.completions.create(model="tiny", max_tokens=4, temperature=0, tools=WEATHER, messages=[
        {"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21 C"}])
    assert reply.usage is not None and reply.usage.prompt_tokens > 40  # the tools, the call and its result


def test_errors_have_the_right_status_and_an_openai_body(server: LocalServer) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client(server).chat.completions.create(model="no-such-model", messages=USER)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError):
        client(server, key="wrong-token").models.list()
    with pytest.raises(openai.BadRequestError) as long:
        client(server).chat.completions.create(model="tiny", messages=[{"role": "user", "content": "word " * 5000}])
    assert long.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError):
        client(server).embeddings.create(model="tiny", input="a chat model is not an embedder")
    with pytest.raises(openai.BadRequestError) as bad:
        client(server).chat.completions.create(model="tiny", messages=[{"role": "wizard", "content": "x"}])
    assert "wizard" in str(bad.value.message)


def test_no_token_a_foreign_origin_or_a_rebinding_host_are_refused(server: LocalServer) -> None:
    missing = raw(server, "/models")
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    foreign = raw(server, "/models", headers={**auth(), "Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "evil.example" in foreign.json()["error"]["message"]
    rebound = raw(server, "/models", headers={**auth(), "Host": f"evil.example:{server.port}"})
    assert rebound.status_code == 403
    assert raw(server, "/models", headers={**auth(), "Host": f"localhost:{server.port}"}).status_code == 200
    unknown = raw(server, "/nothing-here", headers=auth())
    assert unknown.status_code == 404 and unknown.json()["error"]["message"]


def test_bodies_over_the_limit_and_bad_json_are_refused(server: LocalServer) -> None:
    huge = raw(server, "/chat/completions", headers=auth(), content=b"x" * (9 << 20))
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "request_too_large"
    broken = raw(server, "/chat/completions", headers=auth(), content=b"{not json")
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]["message"]


def busy_slots(server: LocalServer) -> int:
    with server.pool.use("tiny", "chat") as engine:
        return int(engine.busy_slots())


@pytest.mark.slow  # about 15 s on a quiet machine, minutes on a loaded one
@pytest.mark.timeout(600)
def test_fifty_clients_ten_leaving_mid_stream_leak_no_slot(server: LocalServer) -> None:
    """Each reply that ends, or whose client leaves, frees its slot: after 50 clients all 4 are free."""
    results: list[str] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            stream = client(server).chat.completions.create(
                model="tiny", messages=[{"role": "user", "content": f"client {index}"}], max_tokens=24,
                temperature=0.8, seed=index, stream=True)
            for number, _chunk in enumerate(stream):
                if index % 5 == 0 and number == 2:  # 10 of 50 hang up mid-reply
                    stream.close()
                    results.append("left")
                    return
            results.append("done")
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(500)
    assert not errors, errors[:3]
    assert sorted(set(results)) == ["done", "left"] and results.count("left") == 10 and len(results) == 50
    deadline = time.monotonic() + 10
    while busy_slots(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert busy_slots(server) == 0
    after = client(server).chat.completions.create(model="tiny", messages=USER, max_tokens=3, temperature=0)
    assert after.usage is not None and after.usage.completion_tokens == 3


@pytest.mark.timeout(300)
def test_a_client_that_leaves_while_waiting_for_a_slot_does_not_end_the_model(server: LocalServer) -> None:
    """All 4 slots busy; a 5th client gives up while it waits. Its cancel is honoured at once (the
    host's Stop grace would otherwise end the model for everyone) and the 4 replies go on."""
    with server.pool.use("tiny", "chat") as engine:
        pid = engine.pid
    long = {"model": "tiny", "messages": USER, "max_tokens": 1800, "temperature": 0.8, "stream": True}
    streams = [client(server).chat.completions.create(**long, seed=i) for i in range(4)]  # type: ignore[call-overload]
    try:
        for stream in streams:
            next(iter(stream))
        deadline = time.monotonic() + 30
        while busy_slots(server) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert busy_slots(server) == 4
        waiting = client(server).chat.completions.create(**long)  # type: ignore[call-overload]
        next(iter(waiting))  # the role chunk: the request is in, waiting for a slot
        waiting.close()
        time.sleep(4.0)  # past the host's Stop grace
        with server.pool.use("tiny", "chat") as engine:
            assert engine.pid == pid and not engine.closed
    finally:
        for stream in streams:
            stream.close()
    deadline = time.monotonic() + 10
    while busy_slots(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert busy_slots(server) == 0


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_mid_reply_frees_its_slot_at_once(server: LocalServer, stream: bool) -> None:
    """Streamed, the leaving shows at the next write; not streamed, nothing is written until the end, so
    it is seen only by asking. Either way the reply is cancelled while tokens still flow, not when
    max_tokens runs out."""
    body = {"model": "tiny", "messages": USER, "max_tokens": 1800, "temperature": 0.8, "seed": 3, "ignore_eos": True}
    headers = {**auth(), "Content-Type": "application/json"}
    started = time.monotonic()
    whole = raw(server, "/chat/completions", headers=headers, content=json.dumps(body).encode())
    assert whole.status_code == 200 and whole.json()["usage"]["completion_tokens"] == 1800
    full_s = time.monotonic() - started
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/v1/chat/completions", json.dumps({**body, "stream": stream}), headers)
    if stream:
        response = connection.getresponse()
        assert response.status == 200 and response.readline().startswith(b"data: ")
    deadline = time.monotonic() + 30
    while busy_slots(server) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert busy_slots(server) == 1
    connection.close()  # the client gives up before the reply ends
    left = time.monotonic()
    while busy_slots(server) and time.monotonic() < left + 30:
        time.sleep(0.01)
    freed_s = time.monotonic() - left
    assert busy_slots(server) == 0
    assert freed_s < max(1.0, full_s / 2), (freed_s, full_s)


def post(server: LocalServer, path: str, body: dict[str, Any]) -> Answer:
    return raw(server, path, headers={**auth(), "Content-Type": "application/json"}, content=json.dumps(body).encode())


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_requests_are_400_before_any_byte(server: LocalServer, stream: bool) -> None:
    """Each is the client's mistake: a 400 with a JSON body, also when streaming was asked for (the
    refusal comes before the response starts), never a 500."""
    chat = {"model": "tiny", "messages": USER, "max_tokens": 4, "stream": stream}
    cases = {
        "a token id outside the vocabulary": ("/completions", {"model": "tiny", "prompt": [1, 4294967296],
                                                               "max_tokens": 4, "stream": stream}),
        "a negative token id": ("/completions", {"model": "tiny", "prompt": [1, -5], "max_tokens": 4,
                                                 "stream": stream}),
        "json_schema that is not an object": ("/chat/completions", {**chat, "response_format": {
            "type": "json_schema", "json_schema": "x"}}),
        "a schema llama.cpp's grammar parser refuses": ("/chat/completions", {**chat, "response_format": {
            "type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "string", "maxLength": 5000}}}}),
        "a schema the converter refuses": ("/chat/completions", {**chat, "response_format": {
            "type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "string", "pattern": "^(a"}}}}),
        "tool_calls that are not a list": ("/chat/completions", {**chat, "messages": [
            *USER, {"role": "assistant", "content": "", "tool_calls": "abc"}]}),
        "a tool call without a function": ("/chat/completions", {**chat, "messages": [
            *USER, {"role": "assistant", "content": "", "tool_calls": [{"function": "x"}]}]}),
        "tool_choice without tools": ("/chat/completions", {**chat, "tool_choice": "required"}),
    }
    for name, (path, body) in cases.items():
        answer = post(server, path, body)
        assert answer.status_code == 400, (name, answer.status_code, answer.body[:300])
        assert answer.json()["error"]["message"], name
    assert busy_slots(server) == 0


def test_a_bad_token_id_leaves_other_replies_alone(server: LocalServer) -> None:
    """llama.cpp refuses a whole batch with an id outside the vocabulary; such a prompt never reaches a
    batch, so a reply running beside it goes on to its end."""
    results: dict[str, Answer] = {}
    long = {"model": "tiny", "messages": USER, "max_tokens": 600, "temperature": 0.8, "seed": 5, "ignore_eos": True}
    runner = threading.Thread(target=lambda: results.update(long=post(server, "/chat/completions", long)))
    runner.start()
    deadline = time.monotonic() + 30
    while busy_slots(server) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    for prompt in ([1, -5], [1, 4294967296], [1, 10**6]):
        assert post(server, "/completions", {"model": "tiny", "prompt": prompt, "max_tokens": 4}).status_code == 400
    runner.join(120)
    assert results["long"].status_code == 200
    assert results["long"].json()["usage"]["completion_tokens"] == 600


def test_llama_server_sampling_fields_are_honoured(server: LocalServer) -> None:
    """top_k, min_p and repeat_penalty, as llama-server takes them (Candeia's own remote engine sends them):
    a strong repeat penalty changes a greedy reply, and values out of range are a 400."""
    body = {"model": "tiny", "prompt": "the a an and of to", "max_tokens": 40, "temperature": 0}
    plain = post(server, "/completions", body).json()["choices"][0]["text"]
    assert post(server, "/completions", {**body, "repeat_penalty": 1.0}).json()["choices"][0]["text"] == plain
    penalised = post(server, "/completions", {**body, "repeat_penalty": 3.0, "top_k": 5, "min_p": 0.0})
    assert penalised.status_code == 200 and penalised.json()["choices"][0]["text"] != plain
    for wrong in ({"repeat_penalty": 10}, {"top_k": -1}, {"min_p": 2}):
        assert post(server, "/completions", {**body, **wrong}).status_code == 400, wrong
