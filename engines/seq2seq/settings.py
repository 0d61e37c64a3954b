"""Generation settings, read from `generation_config.json` (falling back on `config.json` and its
`decoder` section) the same way for every encoder-decoder task, with transformers' length rules.

Values are validated once here, so the search loops never check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError

# transformers' GenerationConfig().max_length: a limit equal to it counts as "not chosen" (see total_length)
LIBRARY_MAX_LENGTH = 20

_KEYS = ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id", "max_length", "max_new_tokens",
         "min_length", "num_beams", "length_penalty", "early_stopping", "no_repeat_ngram_size",
         "repetition_penalty", "forced_bos_token_id", "forced_eos_token_id", "bad_words_ids")


def _ids(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    raise ValueError(f"expected a token id or a list of ids, got {value!r}")


@dataclass(frozen=True)
class GenerationSettings:
    decoder_start_token_id: int
    eos_token_ids: tuple[int, ...]
    pad_token_id: int | None = None
    max_length: int = LIBRARY_MAX_LENGTH  # counting the start token, as transformers' max_length does
    max_new_tokens: int | None = None
    max_length_from_caller: bool = False  # passed to generate(), not read from the model's files
    max_positions: int | None = None  # the model config's max_position_embeddings, which caps the default
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
        """A copy with the given values (None leaves one as it is); a `max_length` is the caller's."""
        kept = {k: v for k, v in changes.items() if v is not None}
        if "max_length" in kept:
            kept.setdefault("max_length_from_caller", True)
        return replace(self, **kept)

    @property
    def pad(self) -> int:
        """The token finished rows are filled with: pad, else the first end-of-sequence token."""
        if self.pad_token_id is not None:
            return self.pad_token_id
        return self.eos_token_ids[0] if self.eos_token_ids else 0

    @property
    def total_length(self) -> int:
        """The decoder sequence length limit counting the start token, as transformers 4.57 sets it
        (`_prepare_generated_length`): max_new_tokens wins; a max_length equal to the library default
        that the caller did not pass means 20 *new* tokens, capped by max_position_embeddings. At
        least one token is always generated, as transformers' loop does."""
        if self.max_new_tokens is not None:
            return 1 + max(1, self.max_new_tokens)
        length = self.max_length
        if length == LIBRARY_MAX_LENGTH and not self.max_length_from_caller:
            length += 1
            if self.max_positions is not None:
                length = min(length, self.max_positions)
        return max(2, length)


def merged_generation_config(config: dict[str, Any], generation: dict[str, Any]) -> dict[str, Any]:
    """Each generation key from generation_config.json, else config.json, else its `decoder` section."""
    decoder = config.get("decoder")
    sources = (generation, config, decoder if isinstance(decoder, dict) else {})
    merged: dict[str, Any] = {}
    for key in _KEYS:
        for source in sources:
            if source.get(key) is not None:
                merged[key] = source[key]
                break
    return merged


def read_generation_settings(config: dict[str, Any], generation: dict[str, Any], where: Path | str, *,
                             require_eos: bool = True) -> GenerationSettings:
    try:
        return _parse(merged_generation_config(config, generation), config, require_eos)
    except (TypeError, ValueError) as exc:
        raise InvalidModelFileError(where, f"has generation settings Candeia cannot use: {exc}") from exc


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _parse(d: dict[str, Any], config: dict[str, Any], require_eos: bool) -> GenerationSettings:
    eos = _ids(d.get("eos_token_id"))
    start = _int_or_none(d.get("decoder_start_token_id"))
    if start is None:
        start = _int_or_none(d.get("bos_token_id"))
    if start is None:
        raise ValueError("it names no decoder start token (decoder_start_token_id)")
    if require_eos and not eos:
        raise ValueError("it names no end-of-sequence token (eos_token_id)")
    # transformers drops bad words that are exactly an end-of-sequence token
    bad_words = tuple(_ids(seq) for seq in (d.get("bad_words_ids") or []))
    bad_words = tuple(seq for seq in bad_words if seq and not (len(seq) == 1 and seq[0] in eos))
    early = d.get("early_stopping", False)
    new = d.get("max_new_tokens")
    return GenerationSettings(
        decoder_start_token_id=start,
        eos_token_ids=eos,
        pad_token_id=_int_or_none(d.get("pad_token_id")),
        max_length=int(d.get("max_length", LIBRARY_MAX_LENGTH)),
        max_new_tokens=int(new) if new is not None else None,
        max_positions=_int_or_none(config.get("max_position_embeddings")),
        min_length=int(d.get("min_length", 0)),
        num_beams=max(1, int(d.get("num_beams", 1))),
        length_penalty=float(d.get("length_penalty", 1.0)),
        early_stopping=early if early in (True, False, "never") else bool(early),
        no_repeat_ngram_size=int(d.get("no_repeat_ngram_size", 0)),
        repetition_penalty=float(d.get("repetition_penalty", 1.0)),
        forced_bos_token_id=_int_or_none(d.get("forced_bos_token_id")),
        forced_eos_token_id=_ids(d.get("forced_eos_token_id")),
        bad_words_ids=bad_words,
    )
