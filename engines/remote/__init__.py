"""Remote engines: OpenAI-compatible endpoints on another computer, used like a local model."""
