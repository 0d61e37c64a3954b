"""Turn generated token ids into text with the model's `tokenizer.json` (Hugging Face tokenizers, no transformers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError


def _clean_up(text: str) -> str:
    """transformers' `clean_up_tokenization` (applied when the tokenizer config asks for it)."""
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                          (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(before, after)
    return text


class CaptionTokenizer:
    def __init__(self, path: Path, config: dict[str, Any] | None = None) -> None:
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise InvalidModelFileError(path, f"is not a tokenizer the tokenizers library can read ({exc})") from None
        self.clean_up = bool((config or {}).get("clean_up_tokenization_spaces", False))
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)

    def decode(self, ids: list[int]) -> str:
        text: str = self._tok.decode(ids, skip_special_tokens=True)
        if self.clean_up:
            text = _clean_up(text)
        return text.strip()

    def decode_batch(self, rows: list[list[int]]) -> list[str]:
        return [self.decode(ids) for ids in rows]
