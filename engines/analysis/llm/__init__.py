"""Chat models (GGUF) as classifiers: labels through llama.cpp's grammar-constrained decoding."""

from engines.analysis.llm.analyzer import LLM_TASKS, LLMAnalyzer, open_llm_analyzer

__all__ = ["LLM_TASKS", "LLMAnalyzer", "open_llm_analyzer"]
