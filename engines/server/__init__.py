"""A local OpenAI-compatible HTTP server over the engine hosts."""
