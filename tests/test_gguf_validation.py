"""Every malformed file gives one clear sentence; nothing else escapes the validator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.errors import InvalidModelFileError
from engines.gguf.info import read_gguf
from malformed import make_corpus
from tiny_gguf import tiny_vocab


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return make_corpus(tmp_path_factory.mktemp("malformed"))


def test_valid_file_metadata(tiny_gguf: Path) -> None:
    info = read_gguf(tiny_gguf)
    assert info.architecture == "llama"
    assert info.version == 3
    assert info.context_length == 2048
    assert info.block_count == 2
    assert info.embedding_length == 64
    assert info.head_count == 4 and info.head_count_kv == 2
    assert info.vocab_size == len(tiny_vocab()[0])
    assert info.chat_template is not None and "add_generation_prompt" in info.chat_template
    assert info.file_type == "F32"
    assert info.bos_token_id == 1 and info.eos_token_id == 2
    assert info.parameter_count > 100_000
    assert info.tensor_count == 3 + 9 * 2


def test_base_model_has_no_template(tiny_base_gguf: Path) -> None:
    assert read_gguf(tiny_base_gguf).chat_template is None


@pytest.mark.parametrize(
    "case",
    [
        "empty", "tiny", "garbage", "text", "ggml-magic", "version-1", "version-99", "big-endian",
        "absurd-tensor-count", "absurd-kv-count", "no-tensors", "absurd-key-length", "truncated-header",
        "truncated-metadata",
        "truncated-half", "truncated-last-byte", "unknown-architecture", "no-vocabulary", "absurd-context",
        "zero-context", "folder", "missing",
    ],
)
def test_malformed_file_is_rejected_clearly(corpus: dict[str, tuple[Path, str]], case: str) -> None:
    path, expected = corpus[case]
    with pytest.raises(InvalidModelFileError) as caught:
        read_gguf(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message, "the message names the file"
    assert "\n" not in message, "one sentence, one line"


def test_random_corruption_never_escapes(tiny_gguf: Path, tmp_path: Path) -> None:
    """Flip bytes in the metadata region: the result is valid metadata or a clear error, nothing else."""
    good = tiny_gguf.read_bytes()
    rng = np.random.default_rng(1234)
    target = tmp_path / "mutant.gguf"
    rejected = 0
    for _ in range(150):
        data = bytearray(good)
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(0, 4096))] = int(rng.integers(0, 256))
        target.write_bytes(bytes(data))
        try:
            read_gguf(target)
        except InvalidModelFileError as exc:
            assert "\n" not in str(exc)
            rejected += 1
    assert rejected > 0


def test_parser_agrees_with_the_reference_reader(tiny_gguf: Path) -> None:
    """Our fast parser and gguf-py's GGUFReader see the same tensors and metadata."""
    import gguf

    from engines.gguf.info import HEADER_SIZE
    from engines.gguf.parse import ArrayValue, parse_gguf

    reference = gguf.GGUFReader(tiny_gguf)
    info = read_gguf(tiny_gguf)
    parsed = parse_gguf(tiny_gguf, HEADER_SIZE, info.tensor_count, info.kv_count)
    ours = {t.name: (t.offset, t.n_bytes, t.n_elements) for t in parsed.tensors}
    theirs = {t.name: (int(t.data_offset), int(t.n_bytes), int(t.n_elements)) for t in reference.tensors}
    assert ours == theirs
    for key, field in reference.fields.items():
        if key.startswith("GGUF."):
            continue
        value = parsed.fields[key]
        expected = field.contents()
        if isinstance(value, ArrayValue):
            assert value.count == len(expected)
            if value.items is not None:
                assert value.items == expected
        elif isinstance(value, float):
            assert value == pytest.approx(expected)
        else:
            assert value == expected, key


def test_a_validated_file_is_remembered_until_it_changes(tiny_gguf: Path, tmp_path: Path) -> None:
    import os
    import shutil

    from engines.gguf import info as gguf_info

    copy = tmp_path / "copy.gguf"
    shutil.copy2(tiny_gguf, copy)
    first = gguf_info.read_gguf_once(copy)
    assert gguf_info.read_gguf_once(copy) is first  # the same file: not walked again
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # touched: checked again
    second = gguf_info.read_gguf_once(copy)
    assert second is not first and second == first
    copy.write_bytes(copy.read_bytes()[:200])  # now damaged: the damage is found, nothing stale returned
    with pytest.raises(InvalidModelFileError):
        gguf_info.read_gguf_once(copy)
    copy.unlink()
    with pytest.raises(InvalidModelFileError, match="does not exist"):
        gguf_info.read_gguf_once(copy)
