"""A local OpenAI-compatible HTTP server over the engine hosts."""

# Here, not in run.py: the Settings page shows it without importing the ASGI stack at start-up.
DEFAULT_PORT = 8434
