"""`candeia-cli` end to end, in child processes, on the tiny model and the malformed corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engines.cli.main import COMMANDS, build_parser, chosen_command
from malformed import make_corpus
from tests_support import PROJECT_ROOT, run_cli

# What the commands pull in; `candeia-cli --version` and `--help` must import none of it.
HEAVY = ("llama_cpp", "onnxruntime", "huggingface_hub", "numpy", "pydantic", "jinja2", "tokenizers")


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    assert "Traceback" not in stderr
    return lines[0]


def test_chat_streams_a_reply(tiny_gguf: Path) -> None:
    result = run_cli("chat", "-m", str(tiny_gguf), "Once upon a time", "--max-tokens", "16", "--temperature", "0")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) >= 4
    assert result.stderr == ""


def test_chat_json_has_text_and_stats(tiny_gguf: Path) -> None:
    result = run_cli("chat", "-m", str(tiny_gguf), "Hi", "--json", "--max-tokens", "12", "--seed", "3",
                     "--system", "You are terse.", "--top-k", "10", "--top-p", "0.9", "--min-p", "0.01",
                     "--repeat-penalty", "1.2", "--ctx", "256", "--threads", "1", "--gpu-layers", "0")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"text", "stats"}
    assert set(data["stats"]) == {"prompt_tokens", "generated_tokens", "ttft_ms", "tokens_per_s",
                                  "prompt_tokens_per_s", "load_ms"}
    assert data["stats"]["generated_tokens"] == 12
    assert data["stats"]["prompt_tokens"] > 5
    assert data["text"].strip()
    again = run_cli("chat", "-m", str(tiny_gguf), "Hi", "--json", "--max-tokens", "12", "--seed", "3",
                    "--system", "You are terse.", "--top-k", "10", "--top-p", "0.9", "--min-p", "0.01",
                    "--repeat-penalty", "1.2", "--ctx", "256", "--threads", "1")
    assert json.loads(again.stdout)["text"] == data["text"], "same seed, same reply"


def test_chat_reads_prompt_from_stdin(tiny_gguf: Path) -> None:
    piped = run_cli("chat", "-m", str(tiny_gguf), "-", "--json", "--temperature", "0", "--max-tokens", "8",
                    stdin="Tell me a story")
    direct = run_cli("chat", "-m", str(tiny_gguf), "Tell me a story", "--json", "--temperature", "0",
                     "--max-tokens", "8")
    assert piped.returncode == 0 and direct.returncode == 0
    assert json.loads(piped.stdout)["text"] == json.loads(direct.stdout)["text"]
    assert json.loads(piped.stdout)["stats"]["prompt_tokens"] == json.loads(direct.stdout)["stats"]["prompt_tokens"]


def test_interactive_session_keeps_the_conversation(tiny_gguf: Path) -> None:
    result = run_cli("chat", "-m", str(tiny_gguf), "--json", "--temperature", "0", "--max-tokens", "6",
                     stdin="First question\n\nSecond question\n/reset\nFirst question\n/exit\nnever read\n")
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == 3
    # The second turn's prompt holds the first exchange; after /reset the first turn repeats exactly.
    assert replies[1]["stats"]["prompt_tokens"] > replies[0]["stats"]["prompt_tokens"] + 6
    assert replies[2]["text"] == replies[0]["text"]
    assert replies[2]["stats"]["prompt_tokens"] == replies[0]["stats"]["prompt_tokens"]


def test_base_model_chats_through_fallback(tiny_base_gguf: Path) -> None:
    result = run_cli("chat", "-m", str(tiny_base_gguf), "Once upon a time", "--max-tokens", "8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_info_plain_and_json(tiny_gguf: Path) -> None:
    plain = run_cli("info", str(tiny_gguf))
    assert plain.returncode == 0
    assert "architecture" in plain.stdout and "llama" in plain.stdout
    data = json.loads(run_cli("info", str(tiny_gguf), "--json").stdout)
    assert data["architecture"] == "llama" and data["context_length"] == 2048 and data["has_chat_template"]


def test_models_add_list_remove(tiny_gguf: Path) -> None:
    added = run_cli("models", "add", str(tiny_gguf), "--id", "tiny", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["id"] == "tiny"
    listed = json.loads(run_cli("models", "list", "--json").stdout)
    assert [m["id"] for m in listed] == ["tiny"]
    chat = run_cli("chat", "-m", "tiny", "Hi", "--max-tokens", "4", "--json")
    assert chat.returncode == 0, chat.stderr
    copied = run_cli("models", "add", str(tiny_gguf), "--copy", "--id", "owned")
    assert copied.returncode == 0
    refused = run_cli("models", "remove", "owned")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert run_cli("models", "remove", "owned", "--yes").returncode == 0
    removed = run_cli("models", "remove", "tiny")
    assert removed.returncode == 0 and "left in place" in removed.stdout
    assert tiny_gguf.exists()
    assert json.loads(run_cli("models", "list", "--json").stdout) == []


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return make_corpus(tmp_path_factory.mktemp("cli-malformed"))


def test_every_malformed_file_fails_with_one_line(corpus: dict[str, tuple[Path, str]]) -> None:
    for name, (path, expected) in corpus.items():
        if name == "good":
            continue
        for command in (["info", str(path)], ["chat", "-m", str(path), "hi"], ["models", "add", str(path)]):
            result = run_cli(*command)
            assert result.returncode == 1, (name, command, result.stderr)
            line = one_error_line(result.stderr)
            assert line.startswith("candeia-cli: error:"), line
            if name != "missing":
                assert expected in line, (name, line)


def test_usage_errors_exit_2(tiny_gguf: Path) -> None:
    assert run_cli("chat").returncode == 2
    bad_temp = run_cli("chat", "-m", str(tiny_gguf), "hi", "--temperature", "-1")
    assert bad_temp.returncode == 2 and "--temperature" in bad_temp.stderr
    assert run_cli("chat", "-m", str(tiny_gguf), "hi", "--ctx", "1").returncode == 2
    empty = run_cli("chat", "-m", str(tiny_gguf), "-", stdin="   ")
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_unknown_model_is_one_line(tmp_path: Path) -> None:
    result = run_cli("chat", "-m", "no-such-model", "hi")
    assert result.returncode == 1
    assert "neither an installed model id nor an existing file" in one_error_line(result.stderr)


def test_debug_shows_traceback(corpus: dict[str, tuple[Path, str]]) -> None:
    result = run_cli("--debug", "info", str(corpus["garbage"][0]))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_ctrl_c_stops_the_reply_and_keeps_what_was_said(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests_support import PROJECT_ROOT
    from tiny_gguf import write_tiny_llama

    model = write_tiny_llama(tmp_path / "slow.gguf", n_embd=256, n_layer=16, n_head=4, n_head_kv=4, n_ff=1024)
    proc = subprocess.Popen(
        [sys.executable, "-m", "engines.cli.main", "chat", "-m", str(model), "hi",
         "--max-tokens", "100000", "--ctx", "2048", "--threads", "1", "--temperature", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.read(1)  # blocks until the reply is streaming
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert first
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    words = (first + out).split()
    assert 0 < len(words) < 1500, "stopped long before the context filled"


def imported_by(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `candeia-cli ARGS` under `-X importtime`; returns the run and every module it imported."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "engines.cli.main", *args],
                            capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    modules = [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
               if line.startswith("import time:") and "|" in line][1:]  # [0]: the header
    assert "engines.cli.main" in modules  # the report was read
    return result, modules


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_import_no_command(args: list[str]) -> None:
    result, modules = imported_by(*args)
    assert result.returncode == 0
    assert "candeia" in result.stdout
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []
    assert [m for m in modules if m.startswith("engines.cli.") and m != "engines.cli.main"] == []


def test_a_command_imports_only_its_own_module() -> None:
    result, modules = imported_by("info", "--help")
    assert result.returncode == 0 and "--ctx" in result.stdout
    assert {m for m in modules if m.startswith("engines.cli.") and m != "engines.cli.main"} == {"engines.cli.info_cmd"}


def test_the_short_help_matches_what_each_command_registers() -> None:
    assert build_parser([]).format_help() == build_parser().format_help()
    assert all(f"    {name} " in build_parser().format_help() or f"    {name}\n" in build_parser().format_help()
               for name in COMMANDS)


def test_chosen_command() -> None:
    assert chosen_command(["--debug", "chat", "-m", "x"]) == "chat"
    assert chosen_command(["models", "list"]) == "models"
    assert chosen_command(["--version"]) is None
    assert chosen_command(["nonsense"]) is None


def run_python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT, env=dict(os.environ, CANDEIA_HOME=str(home)))


def test_cli_records_unexpected_errors_in_the_crash_log(tmp_path: Path) -> None:
    code = ("import sys, threading\n"
            "from engines.cli import hardware_cmd, main\n"
            "def broken(args):\n"
            "    t = threading.Thread(target=lambda: 1 / 0, name='helper'); t.start(); t.join()\n"
            "    raise ValueError('boom from a command')\n"
            "hardware_cmd.run = broken\n"
            "sys.argv = ['candeia-cli', 'hardware']\n"
            "sys.exit(main.main())\n")
    result = run_python(code, tmp_path)
    log = tmp_path / "logs" / "crash.log"
    assert result.returncode == 1
    assert f"unexpected error: ValueError: boom from a command (run with --debug for details; the traceback is " \
           f"in {log})" in result.stderr
    text = log.read_text(encoding="utf-8")
    assert "candeia-cli: unexpected error\n" in text and "ValueError: boom from a command" in text
    assert "candeia-cli: uncaught exception in thread helper" in text and "ZeroDivisionError" in text


def test_cli_help_writes_no_crash_log_and_main_called_from_python_installs_none(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "engines.cli.main", "--version"], capture_output=True, text=True,
                            timeout=60, cwd=PROJECT_ROOT, env=dict(os.environ, CANDEIA_HOME=str(tmp_path)))
    assert result.returncode == 0 and not (tmp_path / "logs").exists()
    code = ("import sys\nfrom engines.cli.main import main\nhook = sys.excepthook\n"
            "main(['models', 'list'])\nprint(sys.excepthook is hook)\n")
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True") and not (tmp_path / "logs").exists()
