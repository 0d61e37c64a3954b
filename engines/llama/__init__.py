"""llama.cpp (llama-cpp-python) engine: GGUF chat and completion on a thread that owns the model."""

from .engine import ChatEvent, Finished, LlamaEngine, LoadOptions, TextDelta
from .sampling import SamplingOptions
from .stats import GenerationStats

__all__ = [
    "ChatEvent",
    "Finished",
    "GenerationStats",
    "LlamaEngine",
    "LoadOptions",
    "SamplingOptions",
    "TextDelta",
]
