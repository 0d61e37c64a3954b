"""Reading GGUF files without loading them: header parsing and the metadata the app shows and checks."""
