"""Will a model fit? Weights + KV cache + a compute allowance, against free RAM or VRAM.

The KV cache is what grows with the context: 2 (K and V) x layers x context x KV heads x head
size x 2 bytes (llama.cpp keeps it in f16 by default). The compute allowance stands for
llama.cpp's scratch buffers; it is rough on purpose and errs on the side of "tight".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from .cards import ModelCard
from .gguf_info import GGUFInfo
from .hardware import Hardware
from .sizes import human_size

Verdict = Literal["fits", "tight", "won't fit", "unknown"]
KV_BYTES = 2  # f16
BASE_OVERHEAD = 160 << 20
COMFORT = 0.85  # above this share of what is free, the OS and other apps start to suffer
# Average bits per weight of llama.cpp quantizations (block scales included), for cards without a size.
BITS_PER_WEIGHT = {
    "Q2_K": 3.0, "Q3_K_M": 3.9, "Q4_0": 4.55, "Q4_K_S": 4.6, "Q4_K_M": 4.9, "IQ4_XS": 4.25,
    "Q5_K_M": 5.7, "Q6_K": 6.6, "Q8_0": 8.5, "F16": 16.0, "BF16": 16.0, "F32": 32.0,
}


def approximate_size(card: ModelCard) -> int | None:
    """The card's size, or parameters x bits per weight when the card does not record it."""
    if card.size is not None:
        return card.size
    bits = BITS_PER_WEIGHT.get((card.quantization or "").upper())
    if bits is None or card.parameters is None:
        return None
    return int(card.parameters * bits / 8)


@dataclass(frozen=True)
class ModelShape:
    weights: int  # bytes the weights take in memory (about the file size for GGUF)
    layers: int | None = None
    kv_heads: int | None = None
    head_dim_k: int | None = None
    head_dim_v: int | None = None

    @classmethod
    def from_gguf(cls, info: GGUFInfo) -> ModelShape:
        per_head = None
        if info.embedding_length and info.head_count:
            per_head = info.embedding_length // info.head_count
        return cls(
            weights=info.tensor_bytes or info.file_size,
            layers=info.block_count,
            kv_heads=info.head_count_kv or info.head_count,
            head_dim_k=info.key_length or per_head,
            head_dim_v=info.value_length or info.key_length or per_head,
        )

    @classmethod
    def from_card(cls, card: ModelCard) -> ModelShape | None:
        weights = approximate_size(card)
        if weights is None:
            return None
        shape = card.shape
        return cls(
            weights=weights,
            layers=shape.layers if shape else None,
            kv_heads=shape.kv_heads if shape else None,
            head_dim_k=shape.head_dim if shape else None,
            head_dim_v=shape.head_dim if shape else None,
        )

    def kv_cache(self, context: int) -> int | None:
        if not (self.layers and self.kv_heads and self.head_dim_k and self.head_dim_v):
            return None
        return self.layers * context * self.kv_heads * (self.head_dim_k + self.head_dim_v) * KV_BYTES


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


def estimate(shape: ModelShape, context: int, hardware: Hardware, gpu_layers: int = 0) -> FitEstimate:
    """Estimate memory for `context` tokens; `gpu_layers` (-1 = all) moves that share to the GPU's VRAM."""
    kv = shape.kv_cache(context)
    overhead = BASE_OVERHEAD + shape.weights // 20
    needed = shape.weights + (kv or 0) + overhead
    gpu = hardware.best_gpu if gpu_layers and hardware.llama_gpu_offload is not False else None
    if gpu is None or gpu.unified:
        available = hardware.ram_available
        verdict = _verdict(needed, available)
        kv_text = human_size(kv) if kv is not None else "unknown (no shape)"
        detail = (f"{human_size(needed)} needed (weights {human_size(shape.weights)} + KV cache {kv_text} "
                  f"at {context} tokens + {human_size(overhead)} compute) of {human_size(available)} free RAM")
        return FitEstimate(verdict, "RAM", context, shape.weights, kv, overhead, needed, available, detail)
    layers = shape.layers or 1
    share = 1.0 if gpu_layers < 0 else min(gpu_layers, layers) / layers
    on_gpu = int((shape.weights + (kv or 0)) * share) + overhead
    on_cpu = needed - on_gpu + BASE_OVERHEAD
    vram = gpu.memory_free or gpu.memory_total
    gpu_verdict, cpu_verdict = _verdict(on_gpu, vram), _verdict(on_cpu, hardware.ram_available)
    order: list[Verdict] = ["won't fit", "tight", "unknown", "fits"]
    verdict = min(gpu_verdict, cpu_verdict, key=order.index)
    detail = (f"{human_size(on_gpu)} of {human_size(vram)} free VRAM on {gpu.name} ({share:.0%} of the layers) "
              f"and {human_size(on_cpu)} of {human_size(hardware.ram_available)} free RAM; "
              f"KV cache {human_size(kv)} at {context} tokens")
    device = "VRAM" if share >= 1.0 else "RAM+VRAM"
    return FitEstimate(verdict, device, context, shape.weights, kv, overhead, needed, vram, detail)
