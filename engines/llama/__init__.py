"""llama.cpp (llama-cpp-python) engine: GGUF chat and completion on a thread that owns the model."""

from engines.llama.engine import ChatEvent, Finished, LlamaEngine, LoadOptions, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats

__all__ = [
    "ChatEvent",
    "Finished",
    "GenerationStats",
    "LlamaEngine",
    "LoadOptions",
    "SamplingOptions",
    "TextDelta",
]
