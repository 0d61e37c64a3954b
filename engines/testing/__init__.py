"""Helpers that make tiny, real models on the fly (tests and `candeia --self-test`)."""

from engines.testing.tiny_gguf import CHAT_TEMPLATE, tiny_vocab, write_tiny_llama

__all__ = ["CHAT_TEMPLATE", "tiny_vocab", "write_tiny_llama"]
