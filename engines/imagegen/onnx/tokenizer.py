"""CLIP's tokenizer with the `tokenizers` library (no transformers at run time).

An exported Stable Diffusion folder carries `tokenizer/` as the slow CLIPTokenizer left it: vocab.json and
merges.txt (and tokenizer.json only when a fast tokenizer saved it). From the two files the same BPE is
built as transformers' CLIPConverter builds it: NFC, whitespace runs to one space, lower case, CLIP's
word split, byte-level pieces, "</w>" at the end of a word, <|startoftext|> ... <|endoftext|> around.
Prompts are padded (with the folder's pad token) or cut to the text encoder's 77 positions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engines.errors import InvalidModelFileError

_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
MAX_LENGTH = 77


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, ValueError):
        raise InvalidModelFileError(path, "is not readable JSON") from None
    return data if isinstance(data, dict) else {}


def _token_text(value: object, default: str) -> str:
    if isinstance(value, dict):  # {"content": "<|endoftext|>", ...} as newer tokenizers save it
        value = value.get("content")
    return value if isinstance(value, str) and value else default


class ClipTokenizer:
    def __init__(self, folder: Path) -> None:
        specials = {**_json(folder / "special_tokens_map.json"), **_json(folder / "tokenizer_config.json")}
        self.bos = _token_text(specials.get("bos_token"), "<|startoftext|>")
        self.eos = _token_text(specials.get("eos_token"), "<|endoftext|>")
        pad = _token_text(specials.get("pad_token"), self.eos)
        self.max_length = min(MAX_LENGTH, int(specials.get("model_max_length") or MAX_LENGTH))
        self._tok = self._load(folder)
        pad_id = self._tok.token_to_id(pad)
        if pad_id is None or self._tok.token_to_id(self.bos) is None or self._tok.token_to_id(self.eos) is None:
            raise InvalidModelFileError(folder, "has a CLIP tokenizer without its start, end or padding token")
        self._tok.enable_truncation(self.max_length)
        self._tok.enable_padding(length=self.max_length, pad_id=pad_id, pad_token=pad)

    def _load(self, folder: Path) -> Any:
        from tokenizers import Tokenizer

        try:
            if (folder / "tokenizer.json").is_file():
                return Tokenizer.from_file(str(folder / "tokenizer.json"))
            return self._from_bpe_files(folder)
        except InvalidModelFileError:
            raise
        except Exception as exc:  # tokenizers raises its own Exception subclasses
            raise InvalidModelFileError(folder, f"has a tokenizer that cannot be read ({exc})") from None

    def _from_bpe_files(self, folder: Path) -> Any:
        from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
        from tokenizers.models import BPE

        vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
        if not vocab_file.is_file() or not merges_file.is_file():
            raise InvalidModelFileError(folder, "has no tokenizer (vocab.json and merges.txt are missing)")
        vocab = _json(vocab_file)
        lines = merges_file.read_text(encoding="utf-8").splitlines()
        merges = [tuple(line.split(" ", 1)) for line in lines if line and not line.startswith("#version")]
        tok = Tokenizer(BPE(vocab=vocab, merges=merges, continuing_subword_prefix="", end_of_word_suffix="</w>",
                            fuse_unk=False, unk_token=self.eos))
        tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                               normalizers.Lowercase()])
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False)])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.RobertaProcessing(
            sep=(self.eos, vocab[self.eos]), cls=(self.bos, vocab[self.bos]), add_prefix_space=False,
            trim_offsets=False) if self.eos in vocab and self.bos in vocab else None
        return tok

    def __call__(self, text: str) -> np.ndarray:
        """(1, 77) int64 token ids."""
        return np.array([self._tok.encode(text).ids], dtype=np.int64)
