"""`candeia-cli imagine` refuses bad input in one line before any model loads (the engine runs in
tests/test_imagegen_engine.py and the socket audit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.cli import EXIT_ERROR, EXIT_USAGE
from engines.cli.main import main
from tiny_gguf import write_tiny_llama


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["imagine", *args])
    return code, capsys.readouterr().err.strip()


def test_a_damaged_or_foreign_model_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not a json header")
    code, err = run(capsys, "-m", str(junk), "a cat")
    assert code == EXIT_ERROR and err.count("\n") == 0 and "is not a safetensors or GGUF model" in err
    chat = tmp_path / "chat.gguf"
    write_tiny_llama(chat)
    code, err = run(capsys, "-m", str(chat), "a cat")
    assert code == EXIT_ERROR and "language model, not an image generation model" in err


@pytest.mark.parametrize(("args", "words"), [
    (["--size", "512"], "--size must look like 512x512"),
    (["--size", "500x500"], "multiple of 64"),
    (["--steps", "0"], "steps must be"),
    (["--sampler", "nope"], "unknown sampler 'nope'"),
    (["--init", "x.png", "--strength", "1.5"], "strength must be"),
])
def test_bad_settings_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                       words: str) -> None:
    code, err = run(capsys, "-m", str(tmp_path / "missing.safetensors"), "a cat", *args)
    assert code == EXIT_USAGE and words in err


def test_a_missing_model_names_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "-m", str(tmp_path / "missing.safetensors"), "a cat")
    assert code == EXIT_ERROR and "missing.safetensors" in err and "neither an installed model" in err
