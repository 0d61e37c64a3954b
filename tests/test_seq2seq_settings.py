"""Generation settings: one reader for translation and captioning, and transformers 4.57's length rules."""

from __future__ import annotations

import pytest

from engines.errors import InvalidModelFileError
from engines.seq2seq.settings import GenerationSettings, read_generation_settings


def _read(config: dict, generation: dict | None = None, **kw: object) -> GenerationSettings:
    return read_generation_settings(config, generation or {}, "model", **kw)  # type: ignore[arg-type]


def test_the_library_default_means_twenty_new_tokens_capped_by_positions() -> None:
    base = {"decoder_start_token_id": 2, "eos_token_id": 2}
    assert _read(base).total_length == 21  # no max_length anywhere: transformers' 20, as new tokens
    assert _read({**base, "max_length": 20}).total_length == 21  # the same value in a file is still "the default"
    assert _read({**base, "max_position_embeddings": 16}).total_length == 16
    assert _read({**base, "max_length": 64, "max_position_embeddings": 16}).total_length == 64  # a chosen limit
    assert _read(base).with_options(max_length=20).total_length == 20  # passed by the caller: as given
    assert _read(base).with_options(max_length=None).total_length == 21
    assert _read(base).with_options(max_new_tokens=5).total_length == 6
    assert _read(base, {"max_new_tokens": 7, "max_length": 50}).total_length == 8
    assert _read({**base, "max_length": 1}).total_length == 2  # transformers generates at least one token


def test_generation_config_then_config_then_its_decoder_section() -> None:
    config = {"decoder_start_token_id": 5, "eos_token_id": 7, "num_beams": 2,
              "decoder": {"pad_token_id": 9, "no_repeat_ngram_size": 3, "num_beams": 8}}
    s = _read(config, {"num_beams": 4, "length_penalty": 0.5, "early_stopping": "never", "bad_words_ids": [[7], [3]]})
    assert (s.decoder_start_token_id, s.eos_token_ids, s.pad_token_id) == (5, (7,), 9)
    assert (s.num_beams, s.length_penalty, s.early_stopping, s.no_repeat_ngram_size) == (4, 0.5, "never", 3)
    assert s.bad_words_ids == ((3,),), "a bad word that is the end token is dropped, as transformers does"
    assert _read({"bos_token_id": 1, "eos_token_id": [3, 4]}).decoder_start_token_id == 1
    assert _read({"bos_token_id": 1, "eos_token_id": [3, 4]}).pad == 3


@pytest.mark.parametrize(("config", "words"), [
    ({"eos_token_id": 2}, "no decoder start token"),
    ({"decoder_start_token_id": 2}, "no end-of-sequence token"),
    ({"decoder_start_token_id": 2, "eos_token_id": "x"}, "expected a token id"),
    ({"decoder_start_token_id": 2, "eos_token_id": 2, "num_beams": "many"}, "invalid literal"),
])
def test_unusable_settings_are_one_clear_error(config: dict, words: str) -> None:
    with pytest.raises(InvalidModelFileError, match=words):
        _read(config)


def test_captioners_may_lack_an_end_token() -> None:
    s = _read({"decoder_start_token_id": 2}, require_eos=False)
    assert s.eos_token_ids == () and s.pad == 0
