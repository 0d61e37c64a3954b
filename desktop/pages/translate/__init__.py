"""The Translate page."""

from desktop.pages.translate.page import TranslatePage

__all__ = ["TranslatePage"]
