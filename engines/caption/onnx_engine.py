"""Caption images with an ONNX vision-encoder-decoder model: onnxruntime + tokenizers + numpy + Pillow.

The encoder runs once per batch of images. The decoder runs once per generated token with its
self-attention key/value cache kept in OrtValues bound straight from one step's outputs to the
next step's inputs (IO binding), so a step costs one `run_with_iobinding` and an argmax.
Sessions are thread-safe; every `generate` call has its own cache, so no owner thread is needed.

An fp32 model decodes greedily with an int8 draft of its own step graph (draft.py): the draft
proposes a few tokens, the fp32 step checks them in one run, and the caption is the one plain fp32
greedy decoding gives (`decoding.speculative_greedy`). `draft=False` or CANDEIA_CAPTION_DRAFT=0 turns it off.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines.caption.decoding import (
    DraftStats,
    FloatArray,
    GenerationSettings,
    IntArray,
    beam_search,
    greedy,
    speculative_greedy,
)
from engines.caption.folder import CaptionFiles, find_caption_files
from engines.caption.preprocess import ImagePreprocessor
from engines.caption.tokenizer import CaptionTokenizer
from engines.caption.types import CaptionOptions
from engines.errors import GenerationError, InvalidModelFileError
from engines.jobs import CancelToken
from engines.onnx.providers import DeviceReport
from engines.onnx.session import make_session, ort_module
from engines.system.memory import release_freed_memory

_PAST = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
DRAFT_ENV = "CANDEIA_CAPTION_DRAFT"
log = logging.getLogger(__name__)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def generation_defaults(files: CaptionFiles) -> dict[str, Any]:
    """generation_config.json, else the generation keys older exports keep in config.json."""
    config, gen = files.config, files.generation
    decoder = config.get("decoder", {}) if isinstance(config.get("decoder"), dict) else {}
    merged: dict[str, Any] = {}
    for key in ("decoder_start_token_id", "eos_token_id", "pad_token_id", "bos_token_id", "max_length",
                "max_new_tokens", "num_beams", "length_penalty", "early_stopping", "no_repeat_ngram_size"):
        for source in (gen, config, decoder):
            if source.get(key) is not None:
                merged[key] = source[key]
                break
    return merged


class OnnxCaptioner:
    """A loaded ONNX captioning model. `caption_images` may be called from any thread."""

    def __init__(
        self,
        folder: str | Path,
        *,
        threads: int | None = None,
        providers: list[str] | None = None,
        variant: str | None = None,
        split: bool = True,
        draft: bool | None = None,
    ) -> None:
        """`split`: compute cross-attention keys/values once per image (see split.py) when possible.
        `draft`: decode greedily with an int8 draft of the fp32 step (speculative decoding, same tokens);
        None: on unless CANDEIA_CAPTION_DRAFT=0. Needs the split; never for an already quantized step."""
        started = time.perf_counter()
        self.files = find_caption_files(folder, variant)
        self.preprocessor = ImagePreprocessor.from_file(self.files.preprocessor)
        self.tokenizer = CaptionTokenizer(self.files.tokenizer, self.files.tokenizer_config)
        self.defaults = generation_defaults(self.files)
        self._settings_check()
        self.cross: Any = None
        self.draft: Any = None
        self.step_file: Path | None = None  # the split step graph, when split
        # summed over this captioner's speculative generations; its `tokens` adapts to the draft's hit rate
        self.draft_stats = DraftStats()
        self.device_report = DeviceReport()  # the providers the sessions got, and any fallback
        halves = self._split_halves() if split else None
        if draft is None:
            draft = os.environ.get(DRAFT_ENV, "1") != "0"
        # made (on first load) before any session holds weights: making it holds the fp32 step's
        draft_path = self._draft_file(halves[1]) if draft and halves is not None else None
        # every session has its own thread pool: its workers stop spinning when its run ends, or they
        # would take the cores from the next session's run (encoder -> cross -> steps; docs/captioning.md)
        report = self.device_report
        self.encoder = make_session(self.files.encoder, threads, providers, stop_spinning=True, report=report)
        if halves is not None:
            self.cross = make_session(halves[0], threads, providers, stop_spinning=True, report=report)
            self.step_file = halves[1]
            # the specialized step's shapes are static enough for ORT's memory patterns, one block per
            # past length: at batch 8 that kept about 50 MB more than the steps need (docs/captioning.md)
            self.first = self.rest = make_session(halves[1], threads, providers, mem_pattern=False,
                                                  stop_spinning=True, report=report)
            if draft_path is not None:
                self.draft = self._draft_session(draft_path, threads, providers)
        elif self.files.decoder_merged is not None:
            self.first = self.rest = make_session(self.files.decoder_merged, threads, providers, stop_spinning=True,
                                                  report=report)
        else:
            assert self.files.decoder is not None and self.files.decoder_with_past is not None
            self.first = make_session(self.files.decoder, threads, providers, stop_spinning=True, report=report)
            self.rest = make_session(self.files.decoder_with_past, threads, providers, stop_spinning=True,
                                     report=report)
        self._check_io()
        self.load_ms = (time.perf_counter() - started) * 1000.0

    # -- set-up ----------------------------------------------------------------------------------
    def _split_halves(self) -> tuple[Path, Path] | None:
        from engines.caption.split import split_files
        from engines.paths import cache_dir

        decoder = self.files.decoder_merged or self.files.decoder_with_past
        assert decoder is not None
        return split_files(decoder, cache_dir() / "caption-split")

    def _draft_file(self, step: Path) -> Path | None:
        from engines.caption.draft import draft_file
        from engines.paths import cache_dir

        decoder = self.files.decoder_merged or self.files.decoder_with_past
        assert decoder is not None
        try:
            return draft_file(decoder, step, cache_dir() / "caption-draft")
        except OSError as exc:  # a read-only data folder: decode without a draft
            log.warning("no draft model for %s (%s); decoding without one", self.name, exc)
            return None
        finally:
            release_freed_memory()  # making the draft held the fp32 step's weights

    def _draft_session(self, path: Path, threads: int | None, providers: list[str] | None) -> Any:
        """The draft's session, or None: a damaged cached draft must never be why a good model fails."""
        try:
            return make_session(path, threads, providers, mem_pattern=False, stop_spinning=True,
                                report=self.device_report)
        except InvalidModelFileError as exc:
            log.warning("the cached draft of %s cannot be loaded (%s); decoding without it", self.name, exc)
            shutil.rmtree(path.parent, ignore_errors=True)  # made afresh on the next load
            return None

    def _settings_check(self) -> None:
        d = self.defaults
        start = _int(d.get("decoder_start_token_id"))
        if start is None:
            start = _int(d.get("bos_token_id"))
        if start is None:
            raise InvalidModelFileError(self.files.root, "names no decoder_start_token_id in its configuration")
        eos = d.get("eos_token_id")
        candidates = eos if isinstance(eos, list) else [eos]
        eos_list = [e for e in (_int(c) for c in candidates) if e is not None]
        pad = _int(d.get("pad_token_id"))
        self.start_token = start
        self.eos_tokens = tuple(eos_list)
        self.pad_token = pad if pad is not None else (self.eos_tokens[0] if self.eos_tokens else 0)

    def _check_io(self) -> None:
        enc_in = [i.name for i in self.encoder.get_inputs()]
        if enc_in != ["pixel_values"]:
            raise InvalidModelFileError(self.files.encoder, f"is not an image encoder (inputs {enc_in})")
        shape = self.encoder.get_inputs()[0].shape
        self.image_size = (shape[2], shape[3]) if all(isinstance(v, int) for v in shape[2:4]) else None
        rest_inputs = {i.name: i for i in self.rest.get_inputs()}
        first_inputs = {i.name: i for i in self.first.get_inputs()}
        decoder_file = self.files.decoder_merged or self.files.decoder_with_past
        needs = ("input_ids",) if self.cross is not None else ("input_ids", "encoder_hidden_states")
        for needed in needs:
            if needed not in first_inputs or needed not in rest_inputs:
                raise InvalidModelFileError(decoder_file, f"is not a captioning decoder (no '{needed}' input)")
        self.past_names = sorted((n for n in rest_inputs if _PAST.match(n)), key=_order)
        if not self.past_names:
            raise InvalidModelFileError(decoder_file, "has no past key/value inputs; export it 'with past'")
        self.present_names = [n.replace("past_key_values", "present") for n in self.past_names]
        outputs = {o.name for o in self.rest.get_outputs()}
        missing = [n for n in ["logits", *self.present_names] if n not in outputs]
        if missing:
            raise InvalidModelFileError(decoder_file, f"lacks the outputs {', '.join(missing[:3])}")
        past_shape = rest_inputs[self.past_names[0]].shape
        decoder_cfg = self.files.config.get("decoder", {})
        heads = past_shape[1] if isinstance(past_shape[1], int) else int(decoder_cfg.get("n_head", 12))
        head_dim = past_shape[3] if isinstance(past_shape[3], int) else int(decoder_cfg.get("n_embd", 768)) // heads
        self.past_heads, self.head_dim = heads, head_dim
        self.merged = self.files.decoder_merged is not None and self.cross is None
        self.uses_cache_branch = "use_cache_branch" in rest_inputs
        self.cross_names = [o.name for o in self.cross.get_outputs()] if self.cross is not None else []
        self.uses_hidden = "encoder_hidden_states" in rest_inputs
        self.other_inputs = sorted(set(rest_inputs) - {"input_ids", "encoder_hidden_states", "use_cache_branch",
                                                       *self.past_names, *self.cross_names})
        if self.other_inputs:
            raise InvalidModelFileError(decoder_file, f"needs inputs Candeia does not provide: {self.other_inputs}")
        self.vocab_size = self.rest.get_outputs()[0].shape[-1]
        if isinstance(self.vocab_size, int) and self.tokenizer.vocab_size > self.vocab_size + 1024:
            raise InvalidModelFileError(
                self.files.tokenizer,
                f"has {self.tokenizer.vocab_size} tokens but the decoder predicts {self.vocab_size}",
            )

    # -- public API ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.files.root.name

    @property
    def preferred_batch_size(self) -> int:
        return 4

    @property
    def device(self) -> str:
        """Where the sessions run ("CPU", "CUDA", ...): the providers ONNX Runtime gave them."""
        return self.device_report.device

    @property
    def device_notice(self) -> str | None:
        """The one line saying the chosen provider could not start, if it could not."""
        return self.device_report.first_notice

    @property
    def supports_prompts(self) -> bool:
        return False

    def settings_for(self, options: CaptionOptions) -> GenerationSettings:
        d = self.defaults
        if options.max_new_tokens is not None:
            max_length = 1 + options.max_new_tokens
        elif (default_new := _int(d.get("max_new_tokens"))) is not None:
            max_length = 1 + default_new
        else:
            max_length = _int(d.get("max_length")) or 20
        early = d.get("early_stopping", False)
        return GenerationSettings(
            start_token=self.start_token,
            eos_tokens=self.eos_tokens,
            pad_token=self.pad_token,
            max_length=max(2, max_length),
            num_beams=max(1, options.num_beams or _int(d.get("num_beams")) or 1),
            length_penalty=float(d.get("length_penalty", 1.0)),
            early_stopping=early if isinstance(early, (bool, str)) else False,
            no_repeat_ngram_size=_int(d.get("no_repeat_ngram_size")) or 0,
        )

    def pixel_values(self, images: list[Image.Image]) -> FloatArray:
        pixels: FloatArray = self.preprocessor(images)
        if self.image_size is not None and pixels.shape[2:] != self.image_size:
            raise GenerationError(
                f"the preprocessor makes {pixels.shape[3]}x{pixels.shape[2]} images but the encoder wants "
                f"{self.image_size[1]}x{self.image_size[0]}; preprocessor_config.json does not fit this model"
            )
        return pixels

    ENCODER_CHUNK = 2  # images per encoder run: bounds the activation memory of big batches
    DRAFT_MAX_BATCH = 8  # above this, plain greedy: a verify run of batch x (k+1) rows is compute-bound

    def encode(self, pixel_values: FloatArray) -> FloatArray:
        parts = [
            self.encoder.run(None, {"pixel_values": pixel_values[i:i + self.ENCODER_CHUNK]})[0]
            for i in range(0, pixel_values.shape[0], self.ENCODER_CHUNK)
        ]
        out: FloatArray = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out

    def generate(
        self, pixel_values: FloatArray, settings: GenerationSettings, cancel: CancelToken | None = None
    ) -> list[list[int]]:
        """Token ids (start token first) for each image, like transformers' `generate()`."""
        batch = pixel_values.shape[0]
        hidden = self.encode(pixel_values)
        state = _DecodeState(self, hidden, settings.num_beams)
        try:
            if settings.num_beams == 1 and self.draft is not None and batch <= self.DRAFT_MAX_BATCH:
                draft = _DecodeState(self, hidden, 1, session=self.draft, share=state)
                try:
                    return speculative_greedy(state, draft, batch, settings, cancel, self.draft_stats)
                finally:
                    draft.release()
            if settings.num_beams == 1:
                return greedy(state.step, batch, settings, cancel)
            return beam_search(state.step, state.reorder, batch, settings, cancel)
        finally:
            state.release()

    def caption_images(
        self, images: list[Image.Image], options: CaptionOptions | None = None, cancel: CancelToken | None = None
    ) -> list[str]:
        if not images:
            return []
        options = options or CaptionOptions()
        if options.prompt:
            raise GenerationError("this captioning model cannot answer questions; use a vision chat model for --prompt")
        rows = self.generate(self.pixel_values(images), self.settings_for(options), cancel)
        return self.tokenizer.decode_batch(rows)

    def close(self) -> None:
        self.encoder = self.first = self.rest = self.cross = self.draft = None
        release_freed_memory()

    def __enter__(self) -> OnnxCaptioner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _order(name: str) -> tuple[int, str]:
    m = _PAST.match(name)
    assert m is not None
    return int(m.group(1)), m.group(2)


class _DecodeState:
    """The key/value cache of one generation, as OrtValues handed from outputs to inputs.

    `session`: the step session to run (default: the model's own); `share`: another state whose
    encoder output and cross-attention keys/values this one reuses (a draft's cache beside fp32's)."""

    def __init__(self, model: OnnxCaptioner, hidden: FloatArray, beams: int, *, session: Any = None,
                 share: _DecodeState | None = None) -> None:
        self.m = model
        self.session = session
        ort = ort_module()
        self.value = ort.OrtValue.ortvalue_from_numpy
        self.past: list[Any] = []
        self.cross: list[Any] = []
        self.rows: int
        self.hidden: FloatArray
        self.enc: Any
        if share is not None:
            self.rows, self.hidden, self.enc, self.cross = share.rows, share.hidden, share.enc, share.cross
        else:
            if beams > 1:
                hidden = np.repeat(hidden, beams, axis=0)
            self.rows = hidden.shape[0]
            self.hidden = np.ascontiguousarray(hidden)
            self.enc = self.value(self.hidden)
            if model.cross is not None:  # cross-attention keys/values: once per generation, not per token
                binding = model.cross.io_binding()
                binding.bind_ortvalue_input("encoder_hidden_states", self.enc)
                for name in model.cross_names:
                    binding.bind_output(name, "cpu")
                model.cross.run_with_iobinding(binding)
                self.cross = list(binding.get_outputs())
        self.true_flag = self.value(np.array([True]))
        self.false_flag = self.value(np.array([False]))
        self.binding: Any = None
        self.bound_to: Any = None
        self.length = 0  # cached positions

    def _binding(self, session: Any) -> Any:
        """One IO binding per session for the whole generation: the encoder-side inputs are bound
        once, and each step rebinds only what changes (a fresh binding cost ~75 binds a token)."""
        if self.bound_to is not session:
            m = self.m
            self.binding = session.io_binding()
            if m.uses_hidden:
                self.binding.bind_ortvalue_input("encoder_hidden_states", self.enc)
            for name, ov in zip(m.cross_names, self.cross, strict=True):
                self.binding.bind_ortvalue_input(name, ov)
            self.bound_to = session
        return self.binding

    def feed(self, tokens: IntArray) -> FloatArray:
        """Logits [rows, T, vocab] of tokens [rows, T] run after the cached positions (T > 1 needs the
        split step graph, which takes any number of tokens per run)."""
        m = self.m
        first = not self.past
        session = self.session or (m.first if first else m.rest)
        binding = self._binding(session)
        ids = np.ascontiguousarray(tokens, dtype=np.int64)
        binding.bind_cpu_input("input_ids", ids)
        if m.uses_cache_branch:
            binding.bind_ortvalue_input("use_cache_branch", self.false_flag if first else self.true_flag)
        if first:
            if m.merged or m.cross is not None:  # graphs with past inputs get an empty cache at the start
                empty = self.value(np.zeros((self.rows, m.past_heads, 0, m.head_dim), dtype=np.float32))
                for name in m.past_names:
                    binding.bind_ortvalue_input(name, empty)
        else:
            for name, ov in zip(m.past_names, self.past, strict=True):
                binding.bind_ortvalue_input(name, ov)
        binding.clear_binding_outputs()  # fresh output buffers: the previous step's are the cache now
        binding.bind_output("logits", "cpu")
        for name in m.present_names:
            binding.bind_output(name, "cpu")
        session.run_with_iobinding(binding)
        got = binding.get_outputs()
        self.past = list(got[1:])
        self.length += ids.shape[1]
        logits: FloatArray = got[0].numpy()
        return logits

    def step(self, tokens: IntArray) -> FloatArray:
        return self.feed(np.asarray(tokens).reshape(-1, 1))[:, -1, :]

    def truncate(self, length: int) -> None:
        """Keep the first `length` cached positions (after a speculative round's rejected tokens)."""
        if length >= self.length:
            return
        self.past = [self.value(np.ascontiguousarray(ov.numpy()[:, :, :length])) for ov in self.past]
        self.length = length

    def reorder(self, rows: IntArray) -> None:
        if np.array_equal(rows, np.arange(self.rows)):
            return
        self.past = [self.value(np.ascontiguousarray(ov.numpy()[rows])) for ov in self.past]

    def release(self) -> None:
        self.binding = self.bound_to = None
        self.past = []
        self.cross = []
        self.enc = None
