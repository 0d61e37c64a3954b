"""A Marian (opus-mt) tokenizer read from `tokenizer.json` alone, for exports that ship no `.spm` files.

Xenova's int8 ONNX exports of opus-mt keep only `tokenizer.json`: a Unigram model whose vocabulary is
Marian's `vocab.json` in id order, each piece scored with its SentencePiece score, a Metaspace
pre-tokenizer and (usually) a `Precompiled` normalizer. Rather than re-implement the Unigram search, this
builds a SentencePiece model from that vocabulary in memory, so the split is SentencePiece's own search,
the one transformers' MarianTokenizer runs on `source.spm`. With a `tokenizer.json` scored from the source
model, the ids are the same as MarianTokenizer's.

Two things `tokenizer.json` cannot carry, and what happens instead:
- Xenova's files score a piece found in both SentencePiece models with the higher of its two scores, so a
  piece of the target language can win a split where MarianTokenizer (source model only) would not; the
  split is then the one transformers.js makes from the same file.
- A `Precompiled` normalizer without its character map (Xenova's files leave it empty) is read as
  SentencePiece's `nmt_nfkc`, the normalization opus-mt models were trained with.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError
from engines.translate.tokenizer import _load_json, target_prefix

_MARIAN_LANG = re.compile(r"^>>([A-Za-z0-9_-]+)<<$")
_SPACE = "\u2581"
# SentencePiece ModelProto piece types
_NORMAL, _UNKNOWN, _CONTROL = 1, 2, 3


def _model_pb2() -> Any:
    """SentencePiece's generated protobuf module (untyped, hence Any)."""
    from sentencepiece import sentencepiece_model_pb2

    return sentencepiece_model_pb2


def _special(config: dict[str, Any], key: str, default: str) -> str:
    value = config.get(key, default)
    if isinstance(value, dict):  # {"content": "</s>", ...} in newer tokenizer_config files
        value = value.get("content", default)
    return value if isinstance(value, str) else default


def _normalizer_spec(path: Path, normalizer: Any, add_prefix: bool) -> Any:
    """The SentencePiece NormalizerSpec equivalent to the file's normalizer."""
    import sentencepiece

    pb = _model_pb2()
    spec = pb.NormalizerSpec(name="identity")
    steps = normalizer.get("normalizers", []) if isinstance(normalizer, dict) and \
        normalizer.get("type") == "Sequence" else [normalizer]
    for step in steps:
        kind = step.get("type") if isinstance(step, dict) else None
        if step is None:
            continue
        if kind == "Precompiled" and not step.get("precompiled_charsmap"):
            spec = pb.NormalizerSpec()
            spec.ParseFromString(sentencepiece.SentencePieceNormalizer(
                rule_name="nmt_nfkc").serialized_normalizer_spec())
        elif kind == "Precompiled":
            try:
                charsmap = base64.b64decode(str(step["precompiled_charsmap"]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidModelFileError(path, "has a Precompiled normalizer that is not base64") from exc
            spec = pb.NormalizerSpec(name="precompiled", precompiled_charsmap=charsmap)
        elif kind == "Replace" and step.get("content") == " ":
            continue  # collapsing runs of spaces: SentencePiece does it already (remove_extra_whitespaces)
        else:
            raise InvalidModelFileError(path, f"uses a normalizer ({kind}) that Candeia's Marian tokenizer "
                                              "does not support")
    spec.add_dummy_prefix = add_prefix
    spec.remove_extra_whitespaces = True
    spec.escape_whitespaces = True
    return spec


def _adds_prefix(path: Path, pre_tokenizer: Any) -> bool:
    """Whether words get the leading '▁' (Metaspace's add_prefix_space / prepend_scheme)."""
    steps = pre_tokenizer.get("pretokenizers", []) if isinstance(pre_tokenizer, dict) and \
        pre_tokenizer.get("type") == "Sequence" else [pre_tokenizer]
    for step in steps:
        if isinstance(step, dict) and step.get("type") == "Metaspace":
            if step.get("replacement", _SPACE) != _SPACE:
                raise InvalidModelFileError(path, "uses a Metaspace replacement other than '▁'")
            return bool(step.get("add_prefix_space", True)) and step.get("prepend_scheme", "always") != "never"
    raise InvalidModelFileError(path, "has no Metaspace pre-tokenizer; it is not a SentencePiece (Marian) tokenizer")


def _vocabulary(path: Path, data: Any) -> list[tuple[str, float]]:
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict) or model.get("type") != "Unigram":
        raise InvalidModelFileError(path, "is not a Unigram (SentencePiece) tokenizer, as a Marian model needs")
    vocab = model.get("vocab")
    if not isinstance(vocab, list) or not vocab:
        raise InvalidModelFileError(path, "has no vocabulary")
    pieces: list[tuple[str, float]] = []
    for entry in vocab:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and isinstance(entry[1], (int, float))):
            raise InvalidModelFileError(path, "has a vocabulary entry that is not [piece, score]")
        pieces.append((entry[0], float(entry[1])))
    if len({p for p, _ in pieces}) != len(pieces):
        raise InvalidModelFileError(path, "lists a piece twice in its vocabulary")
    return pieces


class MarianJsonTokenizer:
    """Marian's tokenizer from `tokenizer.json`: the same interface as tokenizer.MarianTokenizer."""

    forced_target = False
    needs_source = False

    def __init__(self, folder: Path, config: dict[str, Any]) -> None:
        path = folder / "tokenizer.json"
        data = _load_json(path)
        pieces = _vocabulary(path, data)
        self.vocab: dict[str, int] = {p: i for i, (p, _) in enumerate(pieces)}
        for added in data.get("added_tokens") or []:
            content, wanted = (added.get("content"), added.get("id")) if isinstance(added, dict) else (None, None)
            if isinstance(content, str) and content in self.vocab and wanted != self.vocab[content]:
                raise InvalidModelFileError(path, f"gives {content} the id {wanted}, but its vocabulary puts it at "
                                                  f"{self.vocab[content]}")
        cfg_path = folder / "tokenizer_config.json"
        cfg = _load_json(cfg_path) if cfg_path.is_file() else {}
        cfg = cfg if isinstance(cfg, dict) else {}
        eos, unk, pad = (_special(cfg, "eos_token", "</s>"), _special(cfg, "unk_token", "<unk>"),
                         _special(cfg, "pad_token", "<pad>"))
        for token in (eos, unk):
            if token not in self.vocab:
                raise InvalidModelFileError(path, f"has no {token} token in its vocabulary")
        self.eos_id = self.vocab[eos]
        self.unk_id = self.vocab[unk]
        self.language_tokens = {m.group(1): i for t, i in self.vocab.items() if (m := _MARIAN_LANG.match(t))}
        added = {a.get("content") for a in data.get("added_tokens") or [] if isinstance(a, dict) and a.get("special")}
        control = {eos, pad, "<s>"} | {t for t in added if isinstance(t, str)}
        control |= {f">>{c}<<" for c in self.language_tokens}
        self.special = {self.vocab[t] for t in control | {unk} if t in self.vocab}
        self.pieces = {i: p for p, i in self.vocab.items()}
        spec = _normalizer_spec(path, data.get("normalizer"), _adds_prefix(path, data.get("pre_tokenizer")))
        self.source = self._processor(pieces, unk, control, spec, path)

    @staticmethod
    def _processor(pieces: list[tuple[str, float]], unk: str, control: set[str], spec: Any, path: Path) -> Any:
        """A SentencePiece Unigram model with these pieces at these ids, built in memory."""
        import sentencepiece

        pb = _model_pb2()
        proto = pb.ModelProto()
        proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
        proto.trainer_spec.vocab_size = len(pieces)
        proto.trainer_spec.unk_id = -1
        proto.trainer_spec.bos_id = -1
        proto.trainer_spec.eos_id = -1
        proto.trainer_spec.pad_id = -1
        proto.normalizer_spec.CopyFrom(spec)
        for piece, score in pieces:
            kind = _UNKNOWN if piece == unk else _CONTROL if piece in control else _NORMAL
            proto.pieces.add(piece=piece, score=score if kind == _NORMAL else 0.0, type=kind)
        try:
            return sentencepiece.SentencePieceProcessor(model_proto=proto.SerializeToString())
        except (RuntimeError, OSError) as exc:
            raise InvalidModelFileError(path, f"does not make a SentencePiece model ({exc})") from exc

    def encode(self, text: str, src_lang: str | None = None, tgt_lang: str | None = None) -> list[int]:
        ids, text = target_prefix(text, tgt_lang, self.vocab, self.unk_id, self.language_tokens)
        ids += [int(i) for i in self.source.encode(text, out_type=int)]
        ids.append(self.eos_id)
        return ids

    def decode(self, ids: list[int]) -> str:
        pieces = [self.pieces[i] for i in ids if i not in self.special and i in self.pieces]
        return "".join(pieces).replace(_SPACE, " ").strip()
