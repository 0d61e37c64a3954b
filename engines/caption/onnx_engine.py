"""Caption images with an ONNX vision-encoder-decoder model: onnxruntime + tokenizers + numpy + Pillow.

The encoder runs once per batch of images; decoding is engines/seq2seq's: one `run_with_iobinding`
per token with the key/value cache handed from outputs to inputs. Sessions are thread-safe; every
`generate` call has its own cache, so no owner thread is needed.

An fp32 model decodes greedily with an int8 draft of its own step graph (draft.py): the draft
proposes a few tokens, the fp32 step checks them in one run, and the caption is the one plain fp32
greedy decoding gives (`engines.seq2seq.speculative`). `draft=False` or CANDEIA_CAPTION_DRAFT=0 turns it off.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engines.caption.folder import find_caption_files
from engines.caption.preprocess import ImagePreprocessor
from engines.caption.tokenizer import CaptionTokenizer
from engines.caption.types import CaptionOptions
from engines.errors import GenerationError, InvalidModelFileError
from engines.jobs import CancelToken
from engines.onnx.providers import DeviceReport
from engines.onnx.session import make_session
from engines.seq2seq.beam import beam_search
from engines.seq2seq.binding import DecodeState
from engines.seq2seq.graphs import DecoderGraphs, heads_and_dim, input_names, output_names, past_inputs
from engines.seq2seq.greedy import greedy
from engines.seq2seq.settings import GenerationSettings, read_generation_settings
from engines.seq2seq.speculative import DraftStats, speculative_greedy
from engines.seq2seq.types import FloatArray
from engines.system.memory import release_freed_memory

DRAFT_ENV = "CANDEIA_CAPTION_DRAFT"
log = logging.getLogger(__name__)


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
        # eos may be missing: such a model captions to the length limit
        self.settings = read_generation_settings(self.files.config, self.files.generation, self.files.root,
                                                 require_eos=False)
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

    def _check_io(self) -> None:
        enc_in = [i.name for i in self.encoder.get_inputs()]
        if enc_in != ["pixel_values"]:
            raise InvalidModelFileError(self.files.encoder, f"is not an image encoder (inputs {enc_in})")
        shape = self.encoder.get_inputs()[0].shape
        self.image_size = (shape[2], shape[3]) if all(isinstance(v, int) for v in shape[2:4]) else None
        rest_inputs = {i.name: i for i in self.rest.get_inputs()}
        first_inputs = input_names(self.first)
        decoder_file = self.files.decoder_merged or self.files.decoder_with_past
        needs = ("input_ids",) if self.cross is not None else ("input_ids", "encoder_hidden_states")
        for needed in needs:
            if needed not in first_inputs or needed not in rest_inputs:
                raise InvalidModelFileError(decoder_file, f"is not a captioning decoder (no '{needed}' input)")
        past_names = past_inputs(set(rest_inputs))[0]
        if not past_names:
            raise InvalidModelFileError(decoder_file, "has no past key/value inputs; export it 'with past'")
        cross_names = [o.name for o in self.cross.get_outputs()] if self.cross is not None else []
        decoder_cfg = self.files.config.get("decoder", {})
        heads, head_dim = heads_and_dim(rest_inputs[past_names[0]].shape, int(decoder_cfg.get("n_head", 12)),
                                        int(decoder_cfg.get("n_embd", 768)))
        self.graphs = DecoderGraphs(self.first, self.rest, past_names, cross_names, heads, head_dim, self.cross)
        missing = [n for n in ["logits", *self.graphs.self_present] if n not in output_names(self.rest)]
        if missing:
            raise InvalidModelFileError(decoder_file, f"lacks the outputs {', '.join(missing[:3])}")
        self.uses_cache_branch = "use_cache_branch" in rest_inputs
        other = sorted(set(rest_inputs) - {"input_ids", "encoder_hidden_states", "use_cache_branch",
                                           *past_names, *cross_names})
        if other:
            raise InvalidModelFileError(decoder_file, f"needs inputs Candeia does not provide: {other}")
        self.vocab_size = self.rest.get_outputs()[0].shape[-1]
        if isinstance(self.vocab_size, int) and self.tokenizer.vocab_size > self.vocab_size + 1024:
            raise InvalidModelFileError(
                self.files.tokenizer,
                f"has {self.tokenizer.vocab_size} tokens but the decoder predicts {self.vocab_size}",
            )

    @property
    def past_names(self) -> list[str]:
        """The decoder's self-attention past inputs, layer by layer."""
        return self.graphs.self_past

    @property
    def cross_names(self) -> list[str]:
        """The cross-attention keys/values the split graph computes once per image (none unsplit)."""
        return self.graphs.cross_past

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
        """The model's generation settings with the caller's beams and new-token limit."""
        return self.settings.with_options(num_beams=options.num_beams or None, max_new_tokens=options.max_new_tokens)

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
        state = DecodeState(self.graphs, hidden, beams=settings.num_beams)
        try:
            if settings.num_beams == 1 and self.draft is not None and batch <= self.DRAFT_MAX_BATCH:
                draft = DecodeState(self.graphs, hidden, session=self.draft, share=state)
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
