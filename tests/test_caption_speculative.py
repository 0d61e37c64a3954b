"""Speculative greedy decoding: an int8 draft proposes, the fp32 step verifies; the same ids as plain greedy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny_captioner import random_images

from engines.caption import draft as draft_module
from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.jobs import Cancelled, CancelToken
from engines.seq2seq.binding import DecodeState
from engines.seq2seq.greedy import greedy
from engines.seq2seq.settings import GenerationSettings
from engines.seq2seq.speculative import DraftStats, speculative_greedy
from engines.seq2seq.types import IntArray

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")


_images = random_images


@pytest.fixture(scope="module")
def model(tiny_captioner: Path) -> OnnxCaptioner:
    return OnnxCaptioner(tiny_captioner / "onnx", threads=1)


def _generate(reference: Any, pixels: np.ndarray, **kw: Any) -> list[list[int]]:
    with torch.no_grad():
        out = reference.generate(torch.from_numpy(pixels), do_sample=False, num_beams=1, **kw)
    return [list(map(int, row)) for row in out.tolist()]


class _Wrong:
    """A draft that is wrong on purpose: every `every`-th proposal (or all, every=1) is another token."""

    def __init__(self, inner: DecodeState, every: int) -> None:
        self.inner, self.every, self.calls = inner, every, 0

    @property
    def length(self) -> int:
        return self.inner.length

    def feed(self, tokens: IntArray) -> Any:
        logits = self.inner.feed(tokens).copy()
        self.calls += 1
        if self.calls % self.every == 0:
            best = logits[:, -1].argmax(-1)
            logits[np.arange(len(best)), -1, (best + 1) % logits.shape[-1]] = logits[:, -1].max(-1) + 1.0
        return logits

    def truncate(self, length: int) -> None:
        self.inner.truncate(length)


def _plain(model: OnnxCaptioner, pixels: np.ndarray, settings: GenerationSettings) -> list[list[int]]:
    state = DecodeState(model.graphs, model.encode(pixels))
    try:
        return greedy(state.step, pixels.shape[0], settings)
    finally:
        state.release()


def _speculative(model: OnnxCaptioner, pixels: np.ndarray, settings: GenerationSettings, every: int = 0,
                 tokens: int = 4) -> tuple[list[list[int]], DraftStats]:
    state = DecodeState(model.graphs, model.encode(pixels))
    draft: Any = DecodeState(model.graphs, state.hidden, session=model.draft, share=state)
    if every:
        draft = _Wrong(draft, every)
    stats = DraftStats(tokens=tokens)
    try:
        return speculative_greedy(state, draft, pixels.shape[0], settings, stats=stats), stats
    finally:
        state.release()


def test_fp32_captioner_has_a_cached_draft(tiny_captioner: Path, candeia_home: Path) -> None:
    import onnx

    first = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    assert first.draft is not None and first.cross is not None
    root = candeia_home / "cache" / "caption-draft"
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1
    assert sorted(p.name for p in entries[0].iterdir()) == ["draft.onnx", "draft.onnx_data", "source.json"]
    ops = [n.op_type for n in onnx.load(str(entries[0] / "draft.onnx"), load_external_data=False).graph.node]
    assert "MatMulNBits" in ops and "Gemm" not in ops
    again = OnnxCaptioner(tiny_captioner / "onnx", threads=1)  # reused, not made again
    assert again.draft is not None
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == entries
    source = (entries[0] / "source.json").read_text()
    assert f"-draft{draft_module.DRAFT_VERSION}-" in source and "decoder_model_merged.onnx" in source


def test_a_damaged_cached_draft_is_dropped_not_fatal(tiny_captioner: Path, candeia_home: Path) -> None:
    made = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    root = candeia_home / "cache" / "caption-draft"
    entry = next(p for p in root.iterdir() if not p.name.startswith("."))
    (entry / "draft.onnx").write_bytes(b"not an onnx graph")
    pixels = made.pixel_values(_images(2, seed=21))
    settings = made.settings_for(CaptionOptions(max_new_tokens=6))
    expected = made.generate(pixels, settings)
    survivor = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    assert survivor.draft is None, "the damaged draft is not used"
    assert not entry.exists(), "and it is removed, so the next load makes it afresh"
    assert survivor.generate(pixels, settings) == expected
    assert OnnxCaptioner(tiny_captioner / "onnx", threads=1).draft is not None


def test_draft_can_be_turned_off(tiny_captioner: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert OnnxCaptioner(tiny_captioner / "onnx", threads=1, draft=False).draft is None
    monkeypatch.setenv("CANDEIA_CAPTION_DRAFT", "0")
    assert OnnxCaptioner(tiny_captioner / "onnx", threads=1).draft is None
    assert OnnxCaptioner(tiny_captioner / "onnx", threads=1, draft=True).draft is not None
    assert OnnxCaptioner(tiny_captioner / "onnx", threads=1, split=False).draft is None


def test_quantized_steps_get_no_draft(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "g",
        [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.UINT8, [1, 1]) for n in "ab"],
        [onnx.helper.make_tensor_value_info("c", onnx.TensorProto.INT32, [1, 1])])
    onnx.save(onnx.helper.make_model(graph), str(tmp_path / "step.onnx"))
    assert draft_module.is_quantized(tmp_path / "step.onnx")
    assert not draft_module.build_draft(tmp_path / "step.onnx", tmp_path)


@pytest.mark.parametrize("batch", [1, 5])
def test_speculative_ids_equal_plain_greedy_and_transformers(model: OnnxCaptioner, reference: Any,
                                                             batch: int) -> None:
    pixels = model.pixel_values(_images(batch, seed=11))
    for new in (1, 2, 7, 25):  # max_length right after a round, inside one, at once
        settings = model.settings_for(CaptionOptions(num_beams=1, max_new_tokens=new))
        expected = _generate(reference, pixels, max_new_tokens=new)
        assert _plain(model, pixels, settings) == expected
        for tokens in (1, 3, 8):
            ids, _ = _speculative(model, pixels, settings, tokens=tokens)
            assert ids == expected, (new, tokens)
        assert model.generate(pixels, settings) == expected
    lengths = {sum(t != 0 for t in row[1:]) for row in expected}
    if batch > 1:
        assert len(lengths) > 1, "some captions should end early (end-of-text inside a round)"


@pytest.mark.parametrize("every", [1, 2, 3])
def test_a_wrong_draft_is_rolled_back(model: OnnxCaptioner, reference: Any, every: int) -> None:
    pixels = model.pixel_values(_images(4, seed=12))
    settings = model.settings_for(CaptionOptions(num_beams=1, max_new_tokens=20))
    ids, stats = _speculative(model, pixels, settings, every=every, tokens=4)
    assert ids == _generate(reference, pixels, max_new_tokens=20)
    assert stats.accepted < stats.drafted
    if every == 1:
        assert stats.accepted == 0


def test_no_repeat_ngram_bans_apply_in_order(model: OnnxCaptioner, reference: Any) -> None:
    pixels = model.pixel_values(_images(3, seed=13))
    settings = replace(model.settings_for(CaptionOptions(num_beams=1, max_new_tokens=16)), no_repeat_ngram_size=2)
    expected = _generate(reference, pixels, max_new_tokens=16, no_repeat_ngram_size=2)
    for every in (0, 2):
        assert _speculative(model, pixels, settings, every=every, tokens=5)[0] == expected


def test_several_tokens_per_run_give_the_logits_of_single_steps(model: OnnxCaptioner) -> None:
    """The verify run: T tokens after a cache (causal masking within them) equal T one-token steps."""
    pixels = model.pixel_values(_images(3, seed=14))
    hidden = model.encode(pixels)
    tokens = np.random.default_rng(0).integers(1, 200, (3, 9), dtype=np.int64)
    single = DecodeState(model.graphs, hidden)
    steps = np.stack([single.step(tokens[:, i]) for i in range(9)], axis=1)
    chunked = DecodeState(model.graphs, hidden)
    got = np.concatenate([chunked.feed(tokens[:, :1]), chunked.feed(tokens[:, 1:5]), chunked.feed(tokens[:, 5:])],
                         axis=1)
    np.testing.assert_allclose(got, steps, rtol=1e-4, atol=1e-4)
    chunked.truncate(3)  # rolled back: the rest again, as one run
    assert chunked.length == 3
    np.testing.assert_allclose(chunked.feed(tokens[:, 3:]), steps[:, 3:], rtol=1e-4, atol=1e-4)


def test_cancel_is_checked_while_drafting(model: OnnxCaptioner) -> None:
    pixels = model.pixel_values(_images(1))
    cancel = CancelToken()
    state = DecodeState(model.graphs, model.encode(pixels))
    draft = DecodeState(model.graphs, state.hidden, session=model.draft, share=state)
    real = draft.feed

    def feed(tokens: IntArray) -> Any:
        cancel.cancel()
        return real(tokens)

    draft.feed = feed  # type: ignore[method-assign]
    with pytest.raises(Cancelled):
        speculative_greedy(state, draft, 1, model.settings_for(CaptionOptions(max_new_tokens=10)), cancel)


def test_adaptive_draft_length() -> None:
    stats = DraftStats(tokens=4, max_tokens=7)
    stats.adapt(True)
    stats.adapt(True)
    assert stats.tokens == 7
    for _ in range(10):
        stats.adapt(False)
    assert stats.tokens == 1


def test_large_batches_and_beams_decode_plainly(tiny_captioner: Path, reference: Any) -> None:
    model = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    model.DRAFT_MAX_BATCH = 2
    pixels = model.pixel_values(_images(3, seed=15))
    for beams in (1, 2):
        settings = model.settings_for(CaptionOptions(num_beams=beams, max_new_tokens=6))
        assert model.generate(pixels, settings) == _generate_beams(reference, pixels, beams, 6)
    assert model.draft_stats.verifies == 0
    assert model.generate(pixels[:2], model.settings_for(CaptionOptions(num_beams=1, max_new_tokens=6))) \
        == _generate_beams(reference, pixels[:2], 1, 6)
    assert model.draft_stats.verifies > 0


def _generate_beams(reference: Any, pixels: np.ndarray, beams: int, new: int) -> list[list[int]]:
    with torch.no_grad():
        out = reference.generate(torch.from_numpy(pixels), do_sample=False, num_beams=beams, max_new_tokens=new)
    return [list(map(int, row)) for row in out.tolist()]
