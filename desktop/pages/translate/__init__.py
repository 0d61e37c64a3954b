"""The Translate page."""

from .page import TranslatePage

__all__ = ["TranslatePage"]
