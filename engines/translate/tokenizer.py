"""Tokenizers for seq2seq translation models, without transformers.

- Marian (opus-mt): `source.spm` splits the source text into pieces, `vocab.json` maps pieces to ids,
  `target.spm` joins the output pieces. Multi-target models take a `>>xxx<<` token first. Exports with
  only a `tokenizer.json` are read by marian_json.py.
- M2M100: `sentencepiece.bpe.model` + `vocab.json`, language tokens `__xx__` after the vocabulary.
- NLLB (and any model shipping `tokenizer.json`): the `tokenizers` library, language tokens such as
  `por_Latn`; the source is `[src_lang] tokens </s>` and the target language is forced as the first token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from engines.errors import InvalidModelFileError

_MARIAN_LANG = re.compile(r"^>>([A-Za-z0-9_-]+)<<$")
_M2M_LANG = re.compile(r"^__([A-Za-z0-9_-]+)__$")
_NLLB_LANG = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
# fairseq's language lists for M2M100 tokenizers whose config names only `language_codes`
# (the order gives the ids: vocabulary size + index).
M2M100_CODES = {
    "m2m100": """
    af am ar ast az ba be bg bn br bs ca ceb cs cy da de el en es et fa ff fi fr fy ga gd gl gu ha
    he hi hr ht hu hy id ig ilo is it ja jv ka kk km kn ko lb lg ln lo lt lv mg mk ml mn mr ms my ne
    nl no ns oc or pa pl ps pt ro ru sd si sk sl so sq sr ss su sv sw ta th tl tn tr uk ur uz vi wo
    xh yi yo zh zu
    """.split(),
    "wmt21": ["en", "ha", "is", "ja", "cs", "ru", "zh", "de"],
}


class Seq2SeqTokenizer(Protocol):
    eos_id: int
    #: language code (as the model spells it) -> token id; empty for single-pair models
    language_tokens: dict[str, int]
    #: True when the target language is given by forcing its token first in the output (M2M100/NLLB)
    forced_target: bool
    #: True when the source language must be given (its token starts the input)
    needs_source: bool

    def encode(self, text: str, src_lang: str | None = None, tgt_lang: str | None = None) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidModelFileError(path, f"is not a readable JSON file ({exc})") from exc


def _spm(path: Path) -> Any:
    import sentencepiece

    try:
        return sentencepiece.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as exc:
        raise InvalidModelFileError(path, "is not a SentencePiece model") from exc


def target_prefix(
    text: str, tgt_lang: str | None, vocab: dict[str, int], unk_id: int, language_tokens: dict[str, int]
) -> tuple[list[int], str]:
    """A multi-target Marian model's `>>xx<<` token: the one the text starts with, else the one for
    `tgt_lang`; returns its id (or nothing) and the rest of the text."""
    if text.startswith(">>") and (end := text.find("<<")) != -1:
        return [vocab.get(text[: end + 2], unk_id)], text[end + 2:]
    if tgt_lang is not None and tgt_lang in language_tokens:
        return [language_tokens[tgt_lang]], text
    return [], text


class MarianTokenizer:
    forced_target = False
    needs_source = False

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        missing = [n for n in ("source.spm", "target.spm", "vocab.json") if not (folder / n).is_file()]
        if missing:
            raise InvalidModelFileError(folder, f"misses the tokenizer file(s) {', '.join(missing)} of a Marian model "
                                                "(and has no tokenizer.json instead)")
        self.source = _spm(folder / "source.spm")
        self.target = _spm(folder / "target.spm")
        vocab = _load_json(folder / "vocab.json")
        if not isinstance(vocab, dict) or not all(isinstance(v, int) for v in vocab.values()):
            raise InvalidModelFileError(folder / "vocab.json", "is not a token -> id mapping")
        self.vocab: dict[str, int] = vocab
        self.pieces = {i: t for t, i in vocab.items()}
        special = _load_json(folder / "tokenizer_config.json") if (folder / "tokenizer_config.json").is_file() else {}
        eos = special.get("eos_token", "</s>") if isinstance(special, dict) else "</s>"
        unk = special.get("unk_token", "<unk>") if isinstance(special, dict) else "<unk>"
        pad = special.get("pad_token", "<pad>") if isinstance(special, dict) else "<pad>"
        self.eos_id: int = int(vocab.get(eos if isinstance(eos, str) else "</s>", config.get("eos_token_id", 0)))
        self.unk_id: int = int(vocab.get(unk if isinstance(unk, str) else "<unk>", 1))
        self.special = {self.eos_id, self.unk_id, vocab.get(pad if isinstance(pad, str) else "<pad>", -1)}
        self.language_tokens = {m.group(1): i for t, i in vocab.items() if (m := _MARIAN_LANG.match(t))}

    def encode(self, text: str, src_lang: str | None = None, tgt_lang: str | None = None) -> list[int]:
        ids, text = target_prefix(text, tgt_lang, self.vocab, self.unk_id, self.language_tokens)
        pieces = self.source.encode(text, out_type=str)
        ids += [self.vocab.get(p, self.unk_id) for p in pieces]
        ids.append(self.eos_id)
        return ids

    def decode(self, ids: list[int]) -> str:
        pieces = [self.pieces[i] for i in ids if i not in self.special and i in self.pieces]
        pieces = [p for p in pieces if not _MARIAN_LANG.match(p)]
        text: str = self.target.decode_pieces(pieces)
        return text.replace("▁", " ").strip()


class M2M100Tokenizer:
    forced_target = True
    needs_source = True

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        missing = [n for n in ("sentencepiece.bpe.model", "vocab.json") if not (folder / n).is_file()]
        if missing:
            raise InvalidModelFileError(folder, f"misses the tokenizer file(s) {', '.join(missing)} of an M2M100 model")
        self.spm = _spm(folder / "sentencepiece.bpe.model")
        vocab = _load_json(folder / "vocab.json")
        if not isinstance(vocab, dict):
            raise InvalidModelFileError(folder / "vocab.json", "is not a token -> id mapping")
        self.vocab: dict[str, int] = vocab
        self.eos_id = vocab.get("</s>", 2)
        self.unk_id = vocab.get("<unk>", 3)
        tokens: dict[str, int] = {}
        cfg_path = folder / "tokenizer_config.json"
        cfg = _load_json(cfg_path) if cfg_path.is_file() else {}
        added = cfg.get("added_tokens_decoder", {}) if isinstance(cfg, dict) else {}
        for key, entry in added.items():
            content = entry.get("content", "") if isinstance(entry, dict) else ""
            if _M2M_LANG.match(content):
                tokens[content] = int(key)
        if not tokens:
            extra = cfg.get("additional_special_tokens", []) if isinstance(cfg, dict) else []
            tokens = {t: len(vocab) + i for i, t in enumerate(extra) if isinstance(t, str) and _M2M_LANG.match(t)}
        if not tokens and isinstance(cfg, dict):
            codes = M2M100_CODES.get(str(cfg.get("language_codes", "m2m100")), [])
            tokens = {f"__{code}__": len(vocab) + i for i, code in enumerate(codes)}
        if not tokens:
            raise InvalidModelFileError(cfg_path, "names no language tokens (__xx__) for this M2M100 model")
        self.language_tokens = {m.group(1): i for t, i in tokens.items() if (m := _M2M_LANG.match(t))}
        self.pieces = {i: t for t, i in vocab.items()}
        self.special = {vocab.get(t, -1) for t in ("<s>", "</s>", "<pad>", "<unk>")} | set(tokens.values())

    def encode(self, text: str, src_lang: str | None = None, tgt_lang: str | None = None) -> list[int]:
        if src_lang is None or src_lang not in self.language_tokens:
            raise ValueError(f"unknown source language {src_lang!r}")
        pieces = self.spm.encode(text, out_type=str)
        return [self.language_tokens[src_lang], *(self.vocab.get(p, self.unk_id) for p in pieces), self.eos_id]

    def decode(self, ids: list[int]) -> str:
        pieces = [self.pieces[i] for i in ids if i not in self.special and i in self.pieces]
        text: str = self.spm.decode_pieces(pieces)
        return text.strip()


class FastTokenizer:
    """A `tokenizer.json` model with language tokens (NLLB): `[src] text </s>`, target forced first."""

    forced_target = True
    needs_source = True

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        try:
            self.tok = Tokenizer.from_file(str(path))
        except BaseException as exc:  # plain Exceptions, or a Rust panic (a BaseException) on some fields
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            raise InvalidModelFileError(path, f"is not a tokenizer the tokenizers library can read ({exc})") from exc
        vocab = self.tok.get_vocab(with_added_tokens=True)
        self.eos_id = vocab.get("</s>", int(config.get("eos_token_id", 2)))
        self.language_tokens = {t: i for t, i in vocab.items() if _NLLB_LANG.match(t) or _M2M_LANG.match(t)}
        self.language_tokens = {(_M2M_LANG.match(t).group(1) if _M2M_LANG.match(t) else t): i  # type: ignore[union-attr]
                                for t, i in self.language_tokens.items()}
        if not self.language_tokens:
            raise InvalidModelFileError(path, "names no language tokens (such as eng_Latn)")
        cfg_path = folder / "tokenizer_config.json"
        cfg = _load_json(cfg_path) if cfg_path.is_file() else {}
        self.legacy = bool(cfg.get("legacy_behaviour", False)) if isinstance(cfg, dict) else False

    def encode(self, text: str, src_lang: str | None = None, tgt_lang: str | None = None) -> list[int]:
        if src_lang is None or src_lang not in self.language_tokens:
            raise ValueError(f"unknown source language {src_lang!r}")
        ids: list[int] = list(self.tok.encode(text, add_special_tokens=False).ids)
        lang = self.language_tokens[src_lang]
        return [*ids, self.eos_id, lang] if self.legacy else [lang, *ids, self.eos_id]

    def decode(self, ids: list[int]) -> str:
        text: str = self.tok.decode(ids, skip_special_tokens=True)
        return text.strip()


def load_tokenizer(folder: Path, model_type: str, config: dict[str, Any]) -> Seq2SeqTokenizer:
    if model_type == "marian":
        spm_files = all((folder / n).is_file() for n in ("source.spm", "target.spm", "vocab.json"))
        if not spm_files and (folder / "tokenizer.json").is_file():
            from engines.translate.marian_json import MarianJsonTokenizer

            return MarianJsonTokenizer(folder, config)
        return MarianTokenizer(folder, config)
    m2m_files = all((folder / n).is_file() for n in ("sentencepiece.bpe.model", "vocab.json"))
    if model_type == "m2m_100" and m2m_files:  # transformers' own M2M100Tokenizer reads these, not tokenizer.json
        return M2M100Tokenizer(folder, config)
    if (folder / "tokenizer.json").is_file():
        return FastTokenizer(folder, config)
    if (folder / "sentencepiece.bpe.model").is_file() or (folder / "vocab.json").is_file():
        return M2M100Tokenizer(folder, config)
    raise InvalidModelFileError(
        folder, "has no tokenizer files (tokenizer.json, or sentencepiece.bpe.model with vocab.json)")
