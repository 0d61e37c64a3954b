"""Will a model fit? Weights + KV cache + compute, against free RAM and VRAM, from real sizes.

- Weights: the pinned file sizes of a card (the model and its projector), or the tensor bytes of
  a GGUF on disk. llama.cpp maps the file and, on CPUs with AVX2 or better, keeps a repacked copy
  of some quantized tensors: about 5% more (measured: 12.7 MiB for 235 MiB, 28 MiB for 463 MiB).
- KV cache: 2 (K and V) x layers x context x KV heads x head size x bytes per element of the cache
  type (f16 by default; q8_0 and q4_0 take 34/32 and 18/32 of a byte per element).
- Compute: llama.cpp's scratch memory and the engine process itself (runtime, vocabulary tables).
  Measured as about 128 MiB on top of weights and cache for two real small models; see
  docs/catalog.md for the numbers and tests/test_fit_estimate.py for the check.
- ONNX models load whole into onnxruntime's memory, which holds about half as much again while the
  session is built; their files' sizes stand in for the weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from engines.cards import ModelCard
from engines.gguf.info import GGUFInfo
from engines.hardware.machine import Hardware
from engines.system.sizes import human_size

Verdict = Literal["fits", "tight", "won't fit", "unknown"]
MIB = 1 << 20
KV_BYTES: dict[str, float] = {"f16": 2.0, "bf16": 2.0, "f32": 4.0, "q8_0": 34 / 32, "q4_0": 18 / 32, "q4_1": 20 / 32,
                              "q5_0": 22 / 32, "q5_1": 24 / 32, "iq4_nl": 18 / 32}
RUNTIME = 48 * MIB  # the engine process: Python, llama.cpp and its tables before any model
COMPUTE = 80 * MIB  # llama.cpp's scratch buffers as touched by 512-token batches of a small model (measured)
REPACK_SHARE = 20  # weights / 20: the repacked copy of quantized tensors (CPU only)
ONNX_SESSION_SHARE = 2  # onnxruntime holds weights / 2 more while it builds the session
COMFORT = 0.85  # above this share of what is free, the OS and other apps start to suffer
MIN_CONTEXT = 512


@dataclass(frozen=True)
class ModelShape:
    weights: int  # bytes the weights take in memory (about the file sizes for GGUF)
    layers: int | None = None
    kv_heads: int | None = None
    head_dim_k: int | None = None
    head_dim_v: int | None = None
    engine: str = "llama.cpp"

    @classmethod
    def from_gguf(cls, info: GGUFInfo, companions: int = 0) -> ModelShape:
        """`companions`: bytes of files loaded with it (an mmproj)."""
        per_head = None
        if info.embedding_length and info.head_count:
            per_head = info.embedding_length // info.head_count
        return cls(
            weights=(info.tensor_bytes or info.file_size) + companions,
            layers=info.block_count,
            kv_heads=info.head_count_kv or info.head_count,
            head_dim_k=info.key_length or per_head,
            head_dim_v=info.value_length or info.key_length or per_head,
        )

    @classmethod
    def from_card(cls, card: ModelCard) -> ModelShape:
        shape = card.shape
        return cls(
            weights=card.size,
            layers=shape.layers if shape else None,
            kv_heads=shape.kv_heads if shape else None,
            head_dim_k=shape.head_dim if shape else None,
            head_dim_v=shape.head_dim if shape else None,
            engine=card.engine,
        )

    def kv_cache(self, context: int, cache_type: str = "f16") -> int | None:
        if self.engine != "llama.cpp":
            return 0
        if not (self.layers and self.kv_heads and self.head_dim_k and self.head_dim_v):
            return None
        per_element = KV_BYTES.get(cache_type.lower(), 2.0)
        return int(self.layers * context * self.kv_heads * (self.head_dim_k + self.head_dim_v) * per_element)

    def overhead(self) -> int:
        """Everything besides the weights and the KV cache (see the module docstring)."""
        if self.engine != "llama.cpp":
            return RUNTIME + self.weights // ONNX_SESSION_SHARE
        return RUNTIME + COMPUTE + self.weights // REPACK_SHARE


@dataclass(frozen=True)
class FitEstimate:
    verdict: Verdict
    device: str  # "RAM", "VRAM" or "RAM+VRAM"
    context: int
    weights: int
    kv_cache: int | None
    overhead: int
    needed: int
    available: int | None
    detail: str
    ram: int = 0  # what system memory must hold
    vram: int = 0  # what the GPU must hold (0 without offload)
    suggested_context: int | None = None  # the largest context that fits comfortably, when this one does not
    suggested_gpu_layers: int | None = None  # how many layers to offload so the VRAM part fits (-1 = all)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _verdict(needed: int, available: int | None) -> Verdict:
    if available is None:
        return "unknown"
    if needed <= available * COMFORT:
        return "fits"
    if needed <= available:
        return "tight"
    return "won't fit"


def _split(shape: ModelShape, context: int, share: float, cache_type: str) -> tuple[int, int]:
    """(RAM, VRAM) bytes with `share` of the layers (weights and their KV cache) on the GPU."""
    kv = shape.kv_cache(context, cache_type) or 0
    if share <= 0:
        return shape.weights + kv + shape.overhead(), 0
    on_gpu = int((shape.weights + kv) * share) + COMPUTE
    on_cpu = int((shape.weights + kv) * (1 - share)) + RUNTIME + (shape.weights // REPACK_SHARE if share < 1 else 0)
    return on_cpu, on_gpu


def _fits(ram: int, vram: int, ram_free: int | None, vram_free: int | None) -> bool:
    return (ram_free is not None and ram <= ram_free * COMFORT) and (vram == 0 or (
        vram_free is not None and vram <= vram_free * COMFORT))


def suggest_context(shape: ModelShape, limit: int, ram_free: int | None, vram_free: int | None = None,
                    share: float = 0.0, cache_type: str = "f16") -> int | None:
    """The largest power-of-two context up to `limit` that fits comfortably, or None if not even 512 does."""
    context = 1 << max(limit, MIN_CONTEXT).bit_length()
    while context >= MIN_CONTEXT:
        if context <= limit:
            ram, vram = _split(shape, context, share, cache_type)
            if _fits(ram, vram, ram_free, vram_free):
                return context
        context //= 2
    return None


def suggest_gpu_layers(shape: ModelShape, context: int, ram_free: int | None, vram_free: int | None,
                       cache_type: str = "f16") -> int | None:
    """All layers (-1) when the whole model fits the VRAM, else the most that do; None without room for one."""
    layers = shape.layers or 1
    for count in range(layers, 0, -1):
        ram, vram = _split(shape, context, count / layers, cache_type)
        if vram_free is not None and vram <= vram_free * COMFORT and (ram_free is None or ram <= ram_free):
            return -1 if count == layers else count
    return None


def estimate(shape: ModelShape, context: int, hardware: Hardware, gpu_layers: int = 0,
             cache_type: str = "f16", max_context: int | None = None) -> FitEstimate:
    """Estimate memory for `context` tokens; `gpu_layers` (-1 = all) moves that share to the GPU's VRAM.

    `max_context` (the model's own limit) bounds the suggested context when this one does not fit.
    """
    kv = shape.kv_cache(context, cache_type)
    overhead = shape.overhead()
    needed = shape.weights + (kv or 0) + overhead
    gpu = (hardware.best_gpu if gpu_layers and shape.engine == "llama.cpp" and hardware.llama_gpu_offload is not False
           else None)
    ram_free = hardware.ram_available
    limit = max_context or context
    kv_text = human_size(kv) if kv is not None else "unknown (no shape)"
    if gpu is None or gpu.unified:
        verdict = _verdict(needed, ram_free)
        suggestion = None if verdict == "fits" else suggest_context(shape, limit, ram_free, cache_type=cache_type)
        detail = (f"{human_size(needed)} needed (weights {human_size(shape.weights)} + KV cache {kv_text} "
                  f"at {context} tokens + {human_size(overhead)} compute) of {human_size(ram_free)} free RAM")
        return FitEstimate(verdict, "RAM", context, shape.weights, kv, overhead, needed, ram_free, detail,
                           ram=needed, vram=0, suggested_context=suggestion)
    layers = shape.layers or 1
    share = 1.0 if gpu_layers < 0 else min(gpu_layers, layers) / layers
    ram, vram = _split(shape, context, share, cache_type)
    vram_free = gpu.memory_free or gpu.memory_total
    gpu_verdict, cpu_verdict = _verdict(vram, vram_free), _verdict(ram, ram_free)
    order: list[Verdict] = ["won't fit", "tight", "unknown", "fits"]
    verdict = min(gpu_verdict, cpu_verdict, key=order.index)
    suggested_layers = None
    suggestion = None
    if verdict != "fits":
        suggested_layers = suggest_gpu_layers(shape, context, ram_free, vram_free, cache_type)
        suggestion = suggest_context(shape, limit, ram_free, vram_free, share, cache_type)
    detail = (f"{human_size(vram)} of {human_size(vram_free)} free VRAM on {gpu.name} ({share:.0%} of the layers) "
              f"and {human_size(ram)} of {human_size(ram_free)} free RAM; KV cache {kv_text} at {context} tokens")
    device = "VRAM" if share >= 1.0 else "RAM+VRAM"
    return FitEstimate(verdict, device, context, shape.weights, kv, overhead, ram + vram, vram_free, detail,
                       ram=ram, vram=vram, suggested_context=suggestion, suggested_gpu_layers=suggested_layers)


def card_estimate(card: ModelCard, context: int, hardware: Hardware, gpu_layers: int = 0,
                  cache_type: str = "f16") -> FitEstimate:
    """A catalog card at `context` tokens (bounded by the model's own context length); an image model at its
    recommended size (the context does not apply)."""
    if card.engine == "stable-diffusion.cpp":
        from engines.cards.image_fit import image_estimate

        return image_estimate(card.size, card.recommended.image_size or 512, hardware)
    limit = card.context_length or context
    return estimate(ModelShape.from_card(card), min(context, limit), hardware, gpu_layers, cache_type,
                    max_context=limit)
