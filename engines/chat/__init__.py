"""Chat policy that is not tied to an engine or a GUI: context fitting and saved conversations."""
