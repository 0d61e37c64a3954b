"""The Analyze page: sentiment, topics, zero-shot labels, entities and answers over a text or a CSV."""

from desktop.pages.analyze.page import AnalyzePage

__all__ = ["AnalyzePage"]
