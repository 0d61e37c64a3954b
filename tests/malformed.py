"""Make a corpus of malformed GGUF files from a valid one: each is a way real files go wrong."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import gguf
import numpy as np

from tiny_gguf import write_tiny_llama


def _patch(source: bytes, offset: int, fmt: str, value: int) -> bytes:
    data = bytearray(source)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


def _first_key_length_offset() -> int:
    return 24  # the first key/value pair starts right after the fixed header


def _write_arch(path: Path, arch: str, with_vocab: bool = True, context: int | None = 2048) -> Path:
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_block_count(1)
    if context is not None:
        writer.add_uint32(f"{arch}.context_length", context)
    if with_vocab:
        writer.add_tokenizer_model("llama")
        writer.add_token_list([b"<unk>", b"<s>", b"</s>"])
    writer.add_tensor("token_embd.weight", np.zeros((3, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def make_corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a fragment the error message must contain)."""
    folder.mkdir(parents=True, exist_ok=True)
    good = write_tiny_llama(folder / "good.gguf").read_bytes()
    rng = np.random.default_rng(7)
    cases: dict[str, tuple[bytes | Callable[[Path], Path], str]] = {
        "empty": (b"", "too small"),
        "tiny": (b"GGUF\x03", "too small"),
        "garbage": (rng.bytes(4096), "not a GGUF file"),
        "text": (b"this is a text file pretending to be a model\n" * 20, "not a GGUF file"),
        "ggml-magic": (b"ggml" + good[4:], "not a GGUF file"),
        "version-1": (_patch(good, 4, "<I", 1), "GGUF version 1"),
        "version-99": (_patch(good, 4, "<I", 99), "GGUF version 99"),
        "big-endian": (_patch(good, 4, ">I", 3), "big-endian"),
        "absurd-tensor-count": (_patch(good, 8, "<Q", 1 << 60), "more than"),
        "absurd-kv-count": (_patch(good, 16, "<Q", 1 << 55), "more than"),
        "no-tensors": (_patch(good, 8, "<Q", 0), "no tensors"),
        "absurd-key-length": (_patch(good, _first_key_length_offset(), "<Q", 1 << 62), "cannot be parsed"),
        "truncated-header": (good[:40], "more than"),
        "truncated-metadata": (good[:2000], "cannot be parsed"),
        "truncated-half": (good[: len(good) // 2], "truncated"),
        "truncated-last-byte": (good[:-1], "truncated"),
        "unknown-architecture": (lambda p: _write_arch(p, "frobnicator"), "unknown architecture 'frobnicator'"),
        "no-vocabulary": (lambda p: _write_arch(p, "llama", with_vocab=False), "no tokenizer vocabulary"),
        "absurd-context": (lambda p: _write_arch(p, "llama", context=4_000_000_000), "impossible 'llama.context"),
        "zero-context": (lambda p: _write_arch(p, "llama", context=0), "impossible 'llama.context"),
    }
    corpus: dict[str, tuple[Path, str]] = {}
    for name, (content, expected) in cases.items():
        path = folder / f"{name}.gguf"
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
        corpus[name] = (path, expected)
    folder_case = folder / "folder.gguf"
    folder_case.mkdir(exist_ok=True)
    corpus["folder"] = (folder_case, "folder")
    corpus["missing"] = (folder / "does-not-exist.gguf", "does not exist")
    return corpus
