"""Candeia's Qt (PySide6) desktop app. The only package that imports Qt; it calls `engines` for all work."""
