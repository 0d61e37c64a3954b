"""Property-based tests of the readers of untrusted input (issue 15, "Fuzzing").

Each reader either succeeds or raises its documented error, and never hangs:
- GGUF header and metadata (engines/gguf/info.py, gguf_parse.py): InvalidModelFileError;
- download references (engines/download/request.py): BadReferenceError;
- Markdown, SRT, VTT and plain text (engines/translate/documents.py): DocumentError, and text
  and Markdown come back unchanged when their sentences are put back;
- model cards (engines/cards/): CardError.

A few dozen cases each in CI (`ci` profile). `scripts/fuzz` runs the same properties for much
longer (the `long` profile); each case has a deadline, and the whole test a pytest timeout.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engines.cards.catalog import builtin_cards_dir, load_card
from engines.download.request import BadReferenceError, parse_hub_ref, request_for_hub_file
from engines.errors import CardError, InvalidModelFileError
from engines.gguf.info import read_gguf
from engines.testing.tiny_gguf import write_tiny_llama
from engines.translate.documents import DocumentError, decode_bytes, parse_document

settings.register_profile(
    "ci", max_examples=60, deadline=timedelta(seconds=5), derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=int(os.environ.get("CANDEIA_FUZZ_EXAMPLES", "20000")), deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CANDEIA_FUZZ_PROFILE", "ci"))

_SCRATCH = Path(tempfile.mkdtemp(prefix="candeia-fuzz-"))


def _tiny_gguf() -> bytes:
    path = _SCRATCH / "seed.gguf"
    if not path.exists():
        write_tiny_llama(path, n_embd=8, n_layer=1, n_head=2, n_head_kv=1, n_ff=8)
    return path.read_bytes()


def _read_bytes_as_gguf(data: bytes) -> None:
    path = _SCRATCH / "case.gguf"
    path.write_bytes(data)
    with contextlib.suppress(InvalidModelFileError):
        read_gguf(path)


# --- GGUF ----------------------------------------------------------------------------------------
_SEED = _tiny_gguf()
_METADATA_END = 16384  # the seed's header, metadata (12.5 KiB) and tensor table, and some tensor data


@st.composite
def _mutated_gguf(draw: st.DrawFn) -> bytes:
    data = bytearray(_SEED)
    for _ in range(draw(st.integers(1, 8))):
        offset = draw(st.integers(0, min(len(data), _METADATA_END) - 1))
        kind = draw(st.sampled_from(["byte", "u32", "u64", "cut", "insert", "delete"]))
        if kind == "byte":
            data[offset] = draw(st.integers(0, 255))
        elif kind in ("u32", "u64"):  # counts, lengths and types are 32- and 64-bit fields
            fmt = "<I" if kind == "u32" else "<Q"
            value = draw(st.sampled_from([0, 1, 2, 7, 255, 2**31, 2**32 - 1, 2**63, 2**64 - 1]
                                         if kind == "u64" else [0, 1, 2, 7, 12, 13, 255, 2**31, 2**32 - 1]))
            if offset + struct.calcsize(fmt) <= len(data):
                struct.pack_into(fmt, data, offset, value)
        elif kind == "cut":
            del data[offset:]
            break
        elif kind == "insert":
            data[offset:offset] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[offset:offset + draw(st.integers(1, 16))]
    return bytes(data)


@given(_mutated_gguf())
def test_gguf_reader_on_damaged_files(data: bytes) -> None:
    _read_bytes_as_gguf(data)


@given(
    version=st.sampled_from([1, 2, 3, 4, 2**31]),
    tensors=st.sampled_from([0, 1, 2, 2**16, 2**63, 2**64 - 1]),
    pairs=st.sampled_from([0, 1, 3, 2**20, 2**63, 2**64 - 1]),
    body=st.binary(max_size=512),
)
def test_gguf_reader_on_random_headers(version: int, tensors: int, pairs: int, body: bytes) -> None:
    _read_bytes_as_gguf(b"GGUF" + struct.pack("<IQQ", version, tensors, pairs) + body)


# --- download references -----------------------------------------------------------------------
_REF_PIECES = st.sampled_from([
    "hf.co/", "https://huggingface.co/", "http://hf.co/", "huggingface.co/", "org", "repo", "a.gguf", "/",
    "%2F", "%2f", "%2E", "%2E%2E", "..", ".", "\\", "%5C", "C:", "%3A", ":", "resolve", "blob", "main", "?x=1",
    "#frag", "%", "%zz", "%00", "\x00", " ", "é", "~", "@", "//", "[", "]", "xn--", "-", "_", "model.GGUF",
])


_PATH_PIECES = st.sampled_from(
    ["a", "b.gguf", "/", "%2F", "%2f", "..", "%2E%2E", "%2e.", ".", "\\", "%5C", "C:", "%3A"])
_REFS = st.lists(_REF_PIECES | st.text(max_size=6), max_size=14).map("".join) | st.builds(
    lambda host, org, repo, path: f"{host}{org}/{repo}/{''.join(path)}",
    st.sampled_from(["hf.co/", "https://huggingface.co/"]), st.sampled_from(["org", "o-1"]),
    st.sampled_from(["repo", "r.2"]), st.lists(_PATH_PIECES, max_size=10))


@given(_REFS, st.none() | st.text(max_size=12))
def test_download_reference_parser(ref: str, model_id: str | None) -> None:
    try:
        parse_hub_ref(ref)
        request = request_for_hub_file(ref, model_id)
    except BadReferenceError:
        return
    assert request.files and request.repo.count("/") == 1


# Finding 1 of issue 15: '%2F..%2F' once passed the '..' check.
@given(_REFS)
def test_an_accepted_reference_stays_inside_its_folder(ref: str) -> None:
    try:
        _repo, path, _revision = parse_hub_ref(ref)
    except BadReferenceError:
        return
    parts = path.replace("\\", "/").split("/")
    assert not any(part in ("", ".", "..") or ":" in part for part in parts), path


# --- documents -----------------------------------------------------------------------------------
_DOC_PIECES = st.sampled_from([
    "\n", "\r\n", " ", "\t", "#", "## ", "> ", "- ", "* ", "1. ", "- [x] ", "|", "| --- |", ":--", "---", "```",
    "~~~", "    ", "`", "**", "__", "~~", "[", "]", "](", ")", "![", "<", ">", "<!--", "<div>", "http://x.y/z ",
    '"', "'", ".", "!", "?", "…", "。", "e.g.", "Dr.", "Hello world. ", "1\n", "00:00:01,000 --> 00:00:02,000\n",
    "00:01.000 --> 00:02.000", "WEBVTT\n", "NOTE x\n", "♪", "-->", "\ufeff", "\x0b", "\x1c", "\u2028", "é",
])
_DOCUMENTS = st.lists(_DOC_PIECES | st.text(max_size=8), max_size=40).map("".join)


@given(_DOCUMENTS, st.sampled_from(["text", "markdown", "srt", "vtt"]))
def test_document_readers(text: str, kind: str) -> None:
    try:
        doc = parse_document(text, kind)  # type: ignore[arg-type]
    except DocumentError:
        assert kind in ("srt", "vtt")
        return
    out = doc.render(doc.sentences)
    if kind in ("text", "markdown"):
        assert out == text  # structure and whitespace are kept exactly
    else:
        assert isinstance(out, str)


@given(st.binary(max_size=2048))
def test_document_decoding(data: bytes) -> None:
    with contextlib.suppress(DocumentError):
        assert isinstance(decode_bytes(data), str)


# --- model cards ---------------------------------------------------------------------------------
_CARDS = sorted(builtin_cards_dir().glob("*.toml"))


@st.composite
def _mutated_card(draw: st.DrawFn) -> tuple[str, str]:
    source = draw(st.sampled_from(_CARDS))
    lines = source.read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        kind = draw(st.sampled_from(["drop", "duplicate", "replace", "edit"]))
        if not lines:
            lines = [""]
        if kind == "drop":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "replace":
            lines[index] = draw(st.sampled_from([
                'id = "x"', "tasks = []", 'tasks = ["chat", "chat"]', 'format = "pickle"', "[[files]]",
                'path = "../../x.gguf"', 'path = "C:\\\\x.gguf"', 'path = "/etc/x.gguf"', 'path = "a/./b.gguf"',
                'sha256 = "zz"', "size = -1", "size = 1e999", 'license = ""', "[", "x = ", '"', "\x00",
                "min_ram_gb = nan", 'path = "model.bin"', 'path = "m.pt"',
            ]))
        else:
            line = lines[index]
            cut = draw(st.integers(0, len(line)))
            lines[index] = line[:cut] + draw(st.text(max_size=5)) + line[cut + 1:]
    return source.stem, "\n".join(lines)


@pytest.fixture(scope="module")
def card_dir() -> Path:
    path = _SCRATCH / "cards"
    path.mkdir(exist_ok=True)
    return path


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_mutated_card())
def test_card_loader(card_dir: Path, case: tuple[str, str]) -> None:
    stem, text = case
    path = card_dir / f"{stem}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        card = load_card(path)
    except CardError:
        return
    assert card.id == stem
    for file in card.source.files:
        parts = file.path.split("/")
        assert ".." not in parts and "" not in parts and "\\" not in file.path and ":" not in file.path
