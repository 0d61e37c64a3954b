"""Engine hosts: every llama.cpp model runs in a child process; its death is a message, never the app's.

Faults are real (engines/host/faults.py): a read of address 0, an abort, an allocation refused
under RLIMIT_AS, a hang, and `kill -9` from outside.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import gguf
import numpy as np
import pytest

from engines.cli.engine_host import MEMORY_LIMIT_ENV, PROBE_TOKENS
from engines.errors import EngineCrashedError, InvalidModelFileError, ModelLoadError
from engines.host import repair
from engines.host.chat import HostedChatEngine
from engines.host.faults import ENV as FAULT_ENV
from engines.host.faults import parse
from engines.host.open_model import open_chat_model
from engines.host.process import WATCHDOG_ENV
from engines.jobs import CancelToken
from engines.llama import Finished, LoadOptions, SamplingOptions, TextDelta
from engines.store.model_store import ModelStore
from tests_support import PROJECT_ROOT, run_cli

LONG = SamplingOptions(temperature=0.0, max_tokens=40, ignore_eos=True)
HELLO = [{"role": "user", "content": "hello there"}]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def write_missing_tensor_model(path: Path) -> Path:
    """Passes the header check (valid GGUF, llama, vocab) but lacks the tensors llama.cpp needs."""
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in (("context_length", 128), ("embedding_length", 8), ("block_count", 1),
                       ("feed_forward_length", 16)):
        writer.add_uint32(f"llama.{key}", value)
    writer.add_head_count(2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list([b"<unk>", b"<s>", b"</s>"] + [f"<0x{i:02X}>".encode() for i in range(256)])
    writer.add_token_scores([0.0] * 259)
    writer.add_token_types([2, 3, 3] + [6] * 256)
    writer.add_tensor("token_embd.weight", np.zeros((259, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[LoadOptions, bool]]:
    """Every host load: its options and whether it ran the first-load check."""
    seen: list[tuple[LoadOptions, bool]] = []
    original = HostedChatEngine.__init__

    def counting(self: HostedChatEngine, info: object, options: LoadOptions, *, probe: bool, **more: int) -> None:
        seen.append((options, probe))
        original(self, info, options, probe=probe, **more)  # type: ignore[arg-type]

    monkeypatch.setattr(HostedChatEngine, "__init__", counting)
    return seen


def stream_until_death(engine: HostedChatEngine, cancel: CancelToken | None = None) -> tuple[str, BaseException]:
    shown: list[str] = []
    with pytest.raises(EngineCrashedError) as caught:
        for event in engine.stream_chat(HELLO, LONG, cancel):
            if isinstance(event, TextDelta):
                shown.append(event.text)
    return "".join(shown), caught.value


def test_a_model_runs_in_its_own_process_and_unload_ends_it(tiny_gguf: Path) -> None:
    engine = open_chat_model(str(tiny_gguf), LoadOptions(context_size=512, threads=1))
    try:
        assert engine.pid != os.getpid() and alive(engine.pid)
        reply = engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=8))
        assert reply.text and reply.stats.generated_tokens > 0 and engine.device == "CPU"
    finally:
        engine.close()
    assert engine.closed and not alive(engine.pid), "unloading ends the process, so all its memory comes back"


def test_first_load_decodes_a_batch_and_later_loads_skip_it(tiny_gguf: Path, loads: list) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    assert [probe for _, probe in loads] == [True, False]
    assert PROBE_TOKENS >= 64
    assert repair.LoadRecords().get(tiny_gguf) is repair.DEFAULT


def test_a_file_that_crashes_only_on_batches_is_caught_on_first_load(
        tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, loads: list) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash:batch")  # crashes with every setting, as a broken file would
    with pytest.raises(InvalidModelFileError, match=r"crashes llama\.cpp while loading \(SIGSEGV\)"):
        open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1))
    assert len(loads) == 2 and all(probe for _, probe in loads), "defaults, then once with safe settings"
    assert repair.LoadRecords().get(tiny_gguf) is None


def test_amx_like_crash_is_repaired_once_recorded_and_reused(
        tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, loads: list) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash:batch?repack")  # as llama.cpp's AMX kernels on an affected Xeon
    engine = open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1))
    try:
        assert engine.repair is not None and engine.repair.level is repair.NO_REPACK
        assert engine.repair.cause == "SIGSEGV" and "without llama.cpp's repacked" in engine.repair.sentence()
        assert engine.options.extra_buffers is False
        assert engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=4)).text
    finally:
        engine.close()
    assert [(o.extra_buffers, p) for o, p in loads] == [(True, True), (False, True)]
    assert repair.LoadRecords().get(tiny_gguf) is repair.NO_REPACK

    again = open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1))
    try:  # straight to what worked: one load, no check, no note; a batched reply does not crash
        assert again.repair is None and loads[-1] == (loads[-1][0], False) and not loads[-1][0].extra_buffers
        assert again.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=4)).text
    finally:
        again.close()
    assert len(loads) == 3


def test_gpu_offload_is_dropped_last(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, loads: list) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash:load?gpu")
    engine = open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1, gpu_layers=4))
    engine.close()
    assert [(o.extra_buffers, o.gpu_layers) for o, _ in loads] == [(True, 4), (False, 4), (False, 0)]
    assert engine.repair is not None and engine.repair.level is repair.CPU_ONLY


def test_crash_mid_reply_keeps_the_streamed_text(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()  # checked and recorded
    monkeypatch.setenv(FAULT_ENV, "crash:token=6")
    engine = open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1))
    try:
        shown, error = stream_until_death(engine)
        assert shown, "the text that streamed before the crash reached the caller"
        assert isinstance(error, EngineCrashedError) and error.kind == "crashed" and error.detail == "SIGSEGV"
        assert str(error) == "the model process crashed (SIGSEGV)"
        assert engine.closed and engine.death is error
        with pytest.raises(EngineCrashedError):
            engine.tokenize("again")
    finally:
        engine.close()


def test_abort_is_reported_with_its_signal(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    monkeypatch.setenv(FAULT_ENV, "abort:token=3")
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        _, error = stream_until_death(engine)
    assert isinstance(error, EngineCrashedError) and error.detail == "SIGABRT"


def test_kill_9_mid_reply_is_a_crash_like_any_other(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    monkeypatch.setenv(FAULT_ENV, "hang:token=4")  # holds the reply open after some text, so the kill lands mid-reply
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        shown: list[str] = []
        with pytest.raises(EngineCrashedError) as caught:
            for event in engine.stream_chat(HELLO, LONG):
                if isinstance(event, TextDelta):
                    shown.append(event.text)
                    os.kill(engine.pid, signal.SIGKILL)
    assert shown and caught.value.kind == "killed" and caught.value.detail == "SIGKILL"
    assert "may have run out of memory" in str(caught.value)


def test_memory_limit_is_reported_as_out_of_memory(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3072")  # RLIMIT_AS in the host
    monkeypatch.setenv(FAULT_ENV, "oom:token=2")  # allocates until the limit refuses
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        _, error = stream_until_death(engine)
    assert isinstance(error, EngineCrashedError) and error.kind == "oom"
    assert str(error) == "the model process ran out of memory"


def test_a_hang_is_ended_by_the_watchdog(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    monkeypatch.setenv(WATCHDOG_ENV, "2")
    monkeypatch.setenv(FAULT_ENV, "hang:token=3")
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        started = time.monotonic()
        _, error = stream_until_death(engine)
        assert isinstance(error, EngineCrashedError) and error.kind == "hung"
        assert time.monotonic() - started < 15 and not alive(engine.pid)


def test_stop_that_is_not_honoured_ends_the_host_and_keeps_the_text(
        tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)).close()
    monkeypatch.setenv(FAULT_ENV, "hang:token=1")  # stuck right after the first text, as a native hang
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        cancel = CancelToken()
        shown: list[str] = []
        finished: Finished | None = None
        started = time.monotonic()
        for event in engine.stream_chat(HELLO, LONG, cancel):
            if isinstance(event, TextDelta):
                shown.append(event.text)
                cancel.cancel()
            else:
                finished = event
        assert finished is not None and finished.stats.stop_reason == "cancelled"
        assert finished.text == "".join(shown) and shown
        assert time.monotonic() - started < 10 and engine.closed and engine.death is None


def test_stop_is_a_message_when_the_host_honours_it(tiny_gguf: Path) -> None:
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=512, threads=1)) as engine:
        cancel = CancelToken()
        events = engine.stream_chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=400, ignore_eos=True), cancel)
        first = next(events)
        cancel.cancel()
        rest = list(events)
        assert isinstance(first, TextDelta) and isinstance(rest[-1], Finished)
        assert rest[-1].stats.stop_reason == "cancelled" and not engine.closed, "the model stays loaded"
        assert engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=3)).text


def test_model_llama_cpp_rejects_fails_cleanly(tmp_path: Path) -> None:
    bad = write_missing_tensor_model(tmp_path / "incomplete.gguf")
    with pytest.raises(ModelLoadError, match=r"llama\.cpp could not load"):
        open_chat_model(str(bad))
    result = run_cli("chat", "-m", str(bad), "hi")
    assert result.returncode == 1
    assert "could not load" in result.stderr and "Traceback" not in result.stderr


def test_cli_gives_one_line_and_exit_1_on_a_crash(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ModelStore().add(tiny_gguf, model_id="tiny")
    open_chat_model(model.id).close()
    monkeypatch.setenv(FAULT_ENV, "crash:token=5")
    result = run_cli("chat", "-m", "tiny", "--temperature", "0", "--max-tokens", "60", "hello")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["candeia-cli: error: the model process crashed (SIGSEGV)"]
    assert result.stdout.strip(), "the text that streamed is kept on stdout"
    from engines.paths import data_dir

    log = data_dir() / "logs" / "candeia.log"  # the cause is kept for later, privately
    assert "ended: the model process crashed (SIGSEGV)" in log.read_text(encoding="utf-8")
    assert os.name != "posix" or (log.stat().st_mode & 0o777) == 0o600


def test_cli_survives_an_amx_like_crash_and_says_so_once(tmp_path: Path, tiny_gguf: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "fresh.gguf"
    copy.write_bytes(tiny_gguf.read_bytes())
    monkeypatch.setenv(FAULT_ENV, "crash:batch?repack")
    first = run_cli("chat", "-m", str(copy), "--max-tokens", "4", "hello")
    assert first.returncode == 0 and first.stdout.strip()
    assert "note: fresh.gguf: llama.cpp crashed (SIGSEGV)" in first.stderr
    second = run_cli("chat", "-m", str(copy), "--max-tokens", "4", "hello")
    assert second.returncode == 0 and "note:" not in second.stderr


def test_no_host_outlives_its_app(tiny_gguf: Path, tmp_path: Path) -> None:
    """An app that dies without closing anything (kill -9) takes its hosts with it."""
    script = (
        "import os, sys, time\n"
        "from engines.host.open_model import open_chat_model\n"
        "from engines.llama import LoadOptions\n"
        f"engine = open_chat_model({str(tiny_gguf)!r}, LoadOptions(context_size=256, threads=1))\n"
        "print(engine.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
                           env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    try:
        assert app.stdout is not None
        host_pid = int(app.stdout.readline())
        assert alive(host_pid)
        app.kill()
        app.wait(10)
        deadline = time.monotonic() + 10
        while alive(host_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(host_pid)
    finally:
        app.kill()
        app.wait(10)


def test_fault_rules_parse_and_reject_nonsense() -> None:
    rules = parse("crash:batch?repack, hang:token=3")
    assert [(r.action, r.point, r.token, r.condition) for r in rules] == [
        ("crash", "batch", 0, "repack"), ("hang", "token", 3, None)]
    with pytest.raises(ValueError):
        parse("explode:load")


def test_a_spare_host_is_taken_when_the_environment_still_matches(tiny_gguf: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from engines.host import spare

    spare.enable()
    try:
        waiting = spare._spare[0].pid  # type: ignore[index]
        with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
            assert engine.pid == waiting, "the load used the process started ahead"
            assert engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=3)).text
        refilled = spare._spare[0].pid  # type: ignore[index]
        monkeypatch.setenv(FAULT_ENV, "crash:token=50")  # the spare started without it: it must not be used
        with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
            assert engine.pid != refilled
        assert not alive(refilled)
    finally:
        spare.disable()
    assert spare._spare is None


def test_unreadable_host_switches_fall_back_to_their_defaults(tiny_gguf: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from engines.host.process import WATCHDOG_S, watchdog_seconds

    monkeypatch.setenv(WATCHDOG_ENV, "soon")
    assert watchdog_seconds() == WATCHDOG_S
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with open_chat_model(str(tiny_gguf), LoadOptions(context_size=256, threads=1)) as engine:
        assert engine.chat(HELLO, SamplingOptions(temperature=0.0, max_tokens=2)).stats.generated_tokens
