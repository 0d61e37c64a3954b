"""The real llama.cpp engine on the tiny test model: load, stream, sample, stop, cancel, unload."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engines.errors import EngineClosedError, GenerationError
from engines.jobs import CancelToken
from engines.llama import Finished, LlamaEngine, LoadOptions, SamplingOptions, TextDelta
from engines.llama.template import Message

GREEDY = SamplingOptions(temperature=0.0, max_tokens=24)
HELLO: list[Message] = [Message(role="user", content="Hello, how are you?")]


@pytest.fixture
def engine(tiny_gguf: Path):  # type: ignore[no-untyped-def]
    eng = LlamaEngine.load(tiny_gguf, LoadOptions(context_size=512, threads=2))
    yield eng
    eng.close()


def collect(events: object) -> tuple[list[str], Finished]:
    deltas: list[str] = []
    finished = None
    for event in events:  # type: ignore[attr-defined]
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        else:
            assert isinstance(event, Finished)
            finished = event
    assert finished is not None
    return deltas, finished


def test_streams_text_and_reports_stats(engine: LlamaEngine) -> None:
    deltas, done = collect(engine.stream_chat(HELLO, GREEDY))
    assert len(deltas) > 1, "the reply arrives in pieces"
    assert "".join(deltas) == done.text
    assert done.text.strip()
    stats = done.stats
    assert stats.generated_tokens == 24 and stats.stop_reason == "length"
    assert stats.prompt_tokens == len(engine.chat_prompt_tokens(HELLO))
    assert stats.ttft_ms > 0 and stats.tokens_per_s > 0 and stats.prompt_tokens_per_s > 0
    assert stats.load_ms > 0


def test_chat_template_from_gguf_is_used(engine: LlamaEngine) -> None:
    prompt = engine.render_chat([Message(role="system", content="Be brief."), *HELLO])
    assert prompt == "<|system|>\nBe brief.</s>\n<|user|>\nHello, how are you?</s>\n<|assistant|>\n"
    assert not engine.template.is_fallback


def test_base_model_uses_fallback_template(tiny_base_gguf: Path) -> None:
    with LlamaEngine.load(tiny_base_gguf, LoadOptions(context_size=256, threads=1)) as eng:
        assert eng.template.is_fallback
        assert eng.render_chat(HELLO) == "User: Hello, how are you?\nAssistant:"
        _, done = collect(eng.stream_chat(HELLO, GREEDY))
        assert done.stats.generated_tokens > 0


def test_greedy_is_deterministic_and_seed_reproduces(engine: LlamaEngine) -> None:
    first = engine.chat(HELLO, GREEDY).text
    assert engine.chat(HELLO, GREEDY).text == first
    sampled = SamplingOptions(temperature=1.5, top_k=0, top_p=1.0, min_p=0.0, seed=42, max_tokens=24)
    a = engine.chat(HELLO, sampled).text
    b = engine.chat(HELLO, sampled).text
    c = engine.chat(HELLO, sampled.model_copy(update={"seed": 43})).text
    assert a == b
    assert a != c


def test_sampling_options_change_the_reply(engine: LlamaEngine) -> None:
    greedy = engine.chat(HELLO, GREEDY).text
    hot = engine.chat(HELLO, SamplingOptions(temperature=2.0, top_k=0, top_p=1.0, min_p=0.0, seed=7,
                                             max_tokens=24)).text
    assert hot != greedy
    penalised = engine.chat(HELLO, GREEDY.model_copy(update={"repeat_penalty": 2.5})).text
    assert penalised != greedy


def test_stop_string_cuts_the_reply(engine: LlamaEngine) -> None:
    full = engine.chat(HELLO, GREEDY.model_copy(update={"max_tokens": 40})).text
    words = full.split()
    stop_word = words[3]
    cut = engine.chat(HELLO, GREEDY.model_copy(update={"max_tokens": 40, "stop": (stop_word,)}))
    assert cut.stats.stop_reason == "stop"
    assert stop_word not in cut.text
    assert full.startswith(cut.text.rstrip())


def test_max_tokens_zero_and_context_limits(engine: LlamaEngine) -> None:
    assert engine.chat(HELLO, GREEDY.model_copy(update={"max_tokens": 0})).text == ""
    long_history = [Message(role="user", content="the world " * 400)]
    with pytest.raises(GenerationError, match="context holds 512"):
        engine.chat(long_history, GREEDY)
    # Without a token limit the reply stops when the context is full, never overruns it.
    done = engine.chat(HELLO, GREEDY.model_copy(update={"max_tokens": None}))
    assert done.stats.stop_reason == "context"
    assert done.stats.prompt_tokens + done.stats.generated_tokens <= engine.context_size


class CountingToken(CancelToken):
    """Cancels itself on the n-th check, so the test knows exactly when the cancel happened."""

    def __init__(self, after_checks: int) -> None:
        super().__init__()
        self.checks = 0
        self.after = after_checks

    @property
    def cancelled(self) -> bool:
        self.checks += 1
        if self.checks >= self.after:
            self.cancel()
        return super().cancelled


def test_cancel_stops_within_one_token(engine: LlamaEngine) -> None:
    token = CountingToken(after_checks=6)
    done = engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=400, ignore_eos=True), token)
    assert done.stats.stop_reason == "cancelled"
    # A few checks happen before the loop; after the cancel no further token is produced.
    assert done.stats.generated_tokens <= token.checks


def test_cancel_from_another_thread_drops_queued_text(engine: LlamaEngine) -> None:
    cancel = CancelToken()
    shown: list[str] = []
    final: Finished | None = None
    for event in engine.stream_chat(HELLO, SamplingOptions(max_tokens=None, ignore_eos=True), cancel):
        if isinstance(event, TextDelta):
            shown.append(event.text)
            if len(shown) == 2:
                threading.Thread(target=cancel.cancel).start()
                cancel.cancel()
        else:
            final = event
    assert final is not None and final.stats.stop_reason in ("cancelled", "context")
    assert final.text == "".join(shown), "after Stop the reply is exactly what was shown"
    assert len(shown) == 2


def test_abandoned_stream_stops_the_model(engine: LlamaEngine) -> None:
    stream = engine.stream_chat(HELLO, SamplingOptions(max_tokens=None, ignore_eos=True))
    next(iter(stream))
    stream.close()  # type: ignore[attr-defined]
    # The owner thread is free again at once: a new reply runs.
    assert engine.chat(HELLO, GREEDY).stats.generated_tokens == 24


def test_replies_from_many_threads_are_serialised(engine: LlamaEngine) -> None:
    expected = engine.chat(HELLO, GREEDY).text
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(engine.chat(HELLO, GREEDY).text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert results == [expected] * 4


def test_prefix_cache_is_reused_across_turns(engine: LlamaEngine) -> None:
    first = engine.chat(HELLO, GREEDY)
    history = [*HELLO, Message(role="assistant", content=first.text), Message(role="user", content="And then?")]
    second = engine.chat(history, GREEDY)
    assert second.stats.evaluated_prompt_tokens < second.stats.prompt_tokens


def test_close_ends_the_owner_thread_and_rejects_new_work(tiny_gguf: Path) -> None:
    eng = LlamaEngine.load(tiny_gguf, LoadOptions(context_size=256, threads=1))
    owner = eng._owner.thread
    eng.close()
    assert not owner.is_alive()
    assert eng.closed
    with pytest.raises(EngineClosedError):
        eng.chat(HELLO, GREEDY)
    eng.close()  # closing twice is harmless


def test_close_during_a_reply_is_clean(tiny_gguf: Path) -> None:
    eng = LlamaEngine.load(tiny_gguf, LoadOptions(context_size=2048, threads=1))
    stream = eng.stream_chat(HELLO, SamplingOptions(max_tokens=None, ignore_eos=True))
    events = iter(stream)
    next(events)
    eng.close()
    rest = list(events)
    assert isinstance(rest[-1], Finished)
    assert rest[-1].stats.stop_reason == "cancelled"


def test_context_is_capped_at_the_trained_length(tiny_gguf: Path) -> None:
    with LlamaEngine.load(tiny_gguf, LoadOptions(context_size=100_000, threads=1)) as eng:
        assert eng.context_size == 2048


def test_native_loop_matches_llama_cpp_python(engine: LlamaEngine, tiny_gguf: Path) -> None:
    """Greedy decoding through Candeia's C-API loop gives llama-cpp-python's own tokens."""
    from engines.llama.native import llama_cpp_module

    prompt = engine.tokenize("Once upon a time there was a")
    raw = llama_cpp_module().Llama(model_path=str(tiny_gguf), n_ctx=512, n_threads=2, verbose=False)
    try:
        expected: list[int] = []
        for token in raw.generate(prompt, temp=0.0, repeat_penalty=1.0):
            expected.append(token)
            if len(expected) == 32:
                break
        expected_text = raw.detokenize(expected).decode("utf-8", errors="replace")
    finally:
        raw.close()
    sampling = SamplingOptions(temperature=0.0, repeat_penalty=1.0, max_tokens=32, ignore_eos=True)
    _, done = collect(engine.stream_completion(prompt, sampling))
    assert done.stats.generated_tokens == 32
    assert done.text == expected_text


def test_greedy_argmax_matches_the_native_greedy_sampler(engine: LlamaEngine) -> None:
    """The argmax over llama.cpp's logits picks the token llama.cpp's greedy sampler would, every step."""
    from engines.llama.decoder import Sampler

    native = engine._native
    assert native is not None
    lib = native.lib
    argmax_sampler = Sampler(native, SamplingOptions(temperature=0.0, repeat_penalty=1.0), seed=0)
    assert argmax_sampler.chain is None, "plain greedy decoding needs no sampler chain"

    def walk() -> tuple[list[int], list[int]]:
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        by_argmax: list[int] = []
        by_chain: list[int] = []
        try:
            native.reset()
            native.prefill(engine.tokenize("The quick brown fox"))
            for _ in range(40):
                by_argmax.append(native.sample(argmax_sampler))
                by_chain.append(int(lib.llama_sampler_sample(chain, native._ctx, -1)))
                native.feed(by_chain[-1])
        finally:
            lib.llama_sampler_free(chain)
            native.reset()
        return by_argmax, by_chain

    by_argmax, by_chain = engine._owner.call(walk)
    assert by_argmax == by_chain
    assert len(set(by_chain)) > 1, "the walk went somewhere"
