"""The ONNX seq2seq translation engine: tokenize, batch with padding, decode, detokenize.

Runs on onnxruntime, sentencepiece/tokenizers and numpy only. `generate_ids` gives the same ids as
transformers' `generate()` with the same weights and settings; `translate` works on sentences.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.errors import CandeiaError, GenerationError
from engines.jobs import CancelToken
from engines.onnx.providers import DeviceReport
from engines.seq2seq.beam import beam_search
from engines.seq2seq.binding import DecodeState
from engines.seq2seq.greedy import greedy
from engines.seq2seq.settings import GenerationSettings, read_generation_settings
from engines.seq2seq.speculative import speculative_greedy
from engines.translate.folder import Variant, locate_seq2seq
from engines.translate.languages import model_languages
from engines.translate.onnx_model import OnnxSeq2Seq
from engines.translate.tokenizer import Seq2SeqTokenizer, load_tokenizer


def _trim(row: list[int], eos: tuple[int, ...]) -> list[int]:
    """The generated ids up to and including the first end-of-sequence token (no padding after it)."""
    for i, token in enumerate(row):
        if token in eos:
            return row[:i + 1]
    return row


class UnsupportedLanguageError(CandeiaError, ValueError):
    """The model cannot translate from or into the language asked for."""


@dataclass(frozen=True)
class DecodeOptions:
    num_beams: int | None = None
    max_new_tokens: int | None = None
    max_length: int | None = None
    length_penalty: float | None = None
    no_repeat_ngram_size: int | None = None
    batch_size: int = 16


@dataclass
class TranslateStats:
    sentences: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.generated_tokens / self.seconds if self.seconds > 0 else 0.0


class Seq2SeqEngine:
    """A loaded Marian / M2M100 / NLLB ONNX folder. Thread-safe: each call decodes with its own cache."""

    def __init__(self, folder: str | Path, *, variant: Variant = "auto", threads: int | None = None,
                 providers: list[str] | None = None, pair: tuple[str, str] | None = None,
                 spin: bool | None = None, draft: bool | None = None) -> None:
        started = time.perf_counter()
        self.files = locate_seq2seq(Path(folder), variant)
        self.tokenizer: Seq2SeqTokenizer = load_tokenizer(self.files.root, self.files.model_type, self.files.config)
        self.settings: GenerationSettings = read_generation_settings(
            self.files.config, self.files.generation, self.files.root / "generation_config.json")
        self.model = OnnxSeq2Seq(self.files, threads, providers, spin, draft)
        self.languages = model_languages(self.files.root, self.files.model_type, self.tokenizer, pair)
        self.pad_id = self.settings.pad_token_id if self.settings.pad_token_id is not None else 0
        self.load_ms = (time.perf_counter() - started) * 1000.0

    @property
    def name(self) -> str:
        return self.files.root.name

    @property
    def device_report(self) -> DeviceReport:
        return self.model.device_report

    @property
    def device(self) -> str:
        """Where the sessions run ("CPU", "CUDA", ...): the providers ONNX Runtime gave them."""
        return self.model.device_report.device

    @property
    def device_notice(self) -> str | None:
        """The one line saying the chosen provider could not start, if it could not."""
        return self.model.device_report.first_notice

    # -- ids -------------------------------------------------------------------------------------
    def encode(self, text: str, src: str | None, tgt: str | None) -> list[int]:
        try:
            return self.tokenizer.encode(text, self.languages.model_code(src) if src else None,
                                         self.languages.model_code(tgt) if tgt else None)
        except ValueError as exc:
            raise UnsupportedLanguageError(f"{self.name} cannot read this source language: {exc}") from exc

    def settings_for(self, tgt: str | None, options: DecodeOptions | None = None) -> GenerationSettings:
        o = options or DecodeOptions()
        settings = self.settings.with_options(
            num_beams=o.num_beams, max_length=o.max_length, length_penalty=o.length_penalty,
            no_repeat_ngram_size=o.no_repeat_ngram_size,
        )
        if o.max_new_tokens is not None:
            settings = settings.with_options(max_new_tokens=o.max_new_tokens)
        if self.tokenizer.forced_target and tgt is not None:
            code = self.languages.model_code(tgt)
            token = self.tokenizer.language_tokens.get(code)
            if token is None:
                raise UnsupportedLanguageError(f"{self.name} cannot translate into '{tgt}'")
            settings = settings.with_options(forced_bos_token_id=token)
        return settings

    def generate_ids(self, batch: Sequence[Sequence[int]], settings: GenerationSettings,
                     cancel: CancelToken | None = None,
                     on_step: Callable[[int], None] | None = None) -> list[list[int]]:
        """Decode one padded batch of token id lists (right padding, as transformers' tokenizers pad)."""
        if not batch:
            return []
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        try:
            rows = self._decode(input_ids, mask, settings, cancel, on_step)
        except CandeiaError:
            raise
        except Exception as exc:
            if type(exc).__name__ == "Cancelled":
                raise
            raise GenerationError(f"{self.name} failed while translating: {exc}") from exc
        return [_trim(row[1:], settings.eos_token_ids) for row in rows]

    DRAFT_MAX_BATCH = 4  # above this a verify run of batch x (k+1) rows costs more than it saves

    def _decode(self, input_ids: np.ndarray, mask: np.ndarray, settings: GenerationSettings,
                cancel: CancelToken | None, on_step: Callable[[int], None] | None) -> list[list[int]]:
        batch = input_ids.shape[0]
        state = self.model.state(input_ids, mask, settings.num_beams)
        try:
            if settings.num_beams > 1:
                return beam_search(state.step, state.reorder, batch, settings, cancel, on_step)
            if self.model.draft is None or batch > self.DRAFT_MAX_BATCH or on_step is not None:
                return greedy(state.step, batch, settings, cancel, on_step)
            draft = DecodeState(self.model.graphs, state.hidden, session=self.model.draft, share=state)
            try:
                return speculative_greedy(state, draft, batch, settings, cancel, self.model.draft_stats)
            finally:
                draft.release()
        finally:
            state.release()

    # -- text ------------------------------------------------------------------------------------
    def _fit(self, text: str, src: str | None, tgt: str | None, limit: int) -> list[list[int]]:
        """Token ids for `text`, halved at word boundaries until each part fits the encoder."""
        ids = self.encode(text, src, tgt)
        words = text.split()
        if len(ids) <= limit or len(words) < 2:
            return [ids[: limit - 1] + ids[-1:]] if len(ids) > limit else [ids]
        half = len(words) // 2
        return self._fit(" ".join(words[:half]), src, tgt, limit) + self._fit(" ".join(words[half:]), src, tgt, limit)

    def _units(self, sentences: Sequence[str], src: str | None, tgt: str | None) -> list[tuple[int, list[int]]]:
        """(sentence index, token ids) of every part that fits the encoder; empty sentences have none."""
        limit = int(self.files.config.get("max_position_embeddings", 512) or 512) - 2
        units: list[tuple[int, list[int]]] = []
        for i, sentence in enumerate(sentences):
            if sentence.strip():
                units += [(i, ids) for ids in self._fit(sentence.strip(), src, tgt, limit)]
        return units

    @staticmethod
    def _capped(settings: GenerationSettings, batch: list[list[int]], o: DecodeOptions) -> GenerationSettings:
        """At most twice the longest input plus 16 new tokens, unless the caller set max_new_tokens."""
        if o.max_new_tokens is None:
            cap = 2 * max(len(ids) for ids in batch) + 16
            if cap < settings.total_length - 1:
                return settings.with_options(max_new_tokens=cap)
        return settings

    def translate_sentences(
        self,
        sentences: Sequence[str],
        src: str | None,
        tgt: str | None,
        options: DecodeOptions | None = None,
        cancel: CancelToken | None = None,
        progress: Callable[[int, int], None] | None = None,
        stats: TranslateStats | None = None,
    ) -> list[str]:
        """Translate sentences in batches of similar length; empty ones stay empty.

        Unlike `generate_ids`, this caps each batch's output at twice its longest input plus 16 tokens
        (unless `max_new_tokens` is given), so a model that never says end-of-sentence cannot run on to
        the model's `max_length`; sentences longer than the encoder's positions are split at words.
        """
        o = options or DecodeOptions()
        settings = self.settings_for(tgt, o)
        units = self._units(sentences, src, tgt)
        order = sorted(range(len(units)), key=lambda u: len(units[u][1]))  # similar lengths pad less
        parts: list[str] = [""] * len(units)
        pending: dict[int, int] = {}
        for i, _ in units:
            pending[i] = pending.get(i, 0) + 1
        total = len(sentences)
        done = total - len(pending)
        if progress:
            progress(done, total)
        started = time.perf_counter()
        for start in range(0, len(order), max(1, o.batch_size)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            chunk = order[start:start + max(1, o.batch_size)]
            batch = [units[u][1] for u in chunk]
            for u, ids in zip(chunk, self.generate_ids(batch, self._capped(settings, batch, o), cancel), strict=True):
                parts[u] = self.tokenizer.decode(ids)
                if stats is not None:
                    stats.generated_tokens += len(ids)
                pending[units[u][0]] -= 1
                done += pending[units[u][0]] == 0
            if progress:
                progress(done, total)
        results = [""] * len(sentences)
        for u, (index, _) in enumerate(units):
            results[index] = f"{results[index]} {parts[u]}".strip() if results[index] else parts[u]
        if stats is not None:
            stats.sentences += len(pending)
            stats.seconds += time.perf_counter() - started
        return results
