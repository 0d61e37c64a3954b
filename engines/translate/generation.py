"""Decoding settings read from `generation_config.json` (falling back on `config.json`), as transformers reads them.

Only what decoding needs is kept; values are validated once so the decoding loop never checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engines.errors import InvalidModelFileError


def _ids(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"expected a token id or a list of ids, got {value!r}")


@dataclass(frozen=True)
class GenerationSettings:
    decoder_start_token_id: int
    eos_token_ids: tuple[int, ...]
    pad_token_id: int | None = None
    max_length: int = 256
    max_new_tokens: int | None = None
    min_length: int = 0
    num_beams: int = 1
    length_penalty: float = 1.0
    early_stopping: bool | str = False
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    forced_bos_token_id: int | None = None
    forced_eos_token_id: tuple[int, ...] = ()
    bad_words_ids: tuple[tuple[int, ...], ...] = field(default_factory=tuple)

    def with_options(self, **changes: Any) -> GenerationSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def total_length(self) -> int:
        """The decoder sequence length limit, counting the start token (transformers' `max_length`)."""
        return 1 + self.max_new_tokens if self.max_new_tokens is not None else self.max_length


def read_generation_settings(config: dict[str, Any], generation: dict[str, Any], where: object) -> GenerationSettings:
    def pick(key: str, default: Any = None) -> Any:
        if key in generation and generation[key] is not None:
            return generation[key]
        value = config.get(key)
        return default if value is None else value

    try:
        eos = _ids(pick("eos_token_id"))
        start = pick("decoder_start_token_id")
        if start is None:
            start = pick("bos_token_id")
        if not isinstance(start, int) or not eos:
            raise ValueError("it names no decoder start token or no end-of-sequence token")
        pad = pick("pad_token_id")
        bad_words = tuple(tuple(_ids(seq)) for seq in (pick("bad_words_ids") or []))
        # transformers drops bad words that are exactly an end-of-sequence token
        bad_words = tuple(seq for seq in bad_words if seq and not (len(seq) == 1 and seq[0] in eos))
        early = pick("early_stopping", False)
        return GenerationSettings(
            decoder_start_token_id=int(start),
            eos_token_ids=eos,
            pad_token_id=int(pad) if isinstance(pad, int) else None,
            max_length=int(pick("max_length", 256)),
            max_new_tokens=generation.get("max_new_tokens"),
            min_length=int(pick("min_length", 0)),
            num_beams=int(pick("num_beams", 1)),
            length_penalty=float(pick("length_penalty", 1.0)),
            early_stopping=early if early in (True, False, "never") else bool(early),
            no_repeat_ngram_size=int(pick("no_repeat_ngram_size", 0)),
            repetition_penalty=float(pick("repetition_penalty", 1.0)),
            forced_bos_token_id=pick("forced_bos_token_id"),
            forced_eos_token_id=_ids(pick("forced_eos_token_id")),
            bad_words_ids=bad_words,
        )
    except (TypeError, ValueError) as exc:
        raise InvalidModelFileError(where, f"has generation settings Candeia cannot use: {exc}") from exc
