"""Kept for tests that import `tiny_gguf` directly; the writer lives in engines/testing now."""

from engines.testing.tiny_gguf import CHAT_TEMPLATE, tiny_vocab, write_tiny_llama

__all__ = ["CHAT_TEMPLATE", "tiny_vocab", "write_tiny_llama"]
