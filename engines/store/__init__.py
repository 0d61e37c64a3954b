"""The local model store: what is installed, where it lives, and how a name becomes a checked model file."""
