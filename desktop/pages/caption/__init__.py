"""The Caption page: one image (drop, pick or paste) or a whole folder, on a captioning model."""

from desktop.pages.caption.page import CaptionPage

__all__ = ["CaptionPage"]
