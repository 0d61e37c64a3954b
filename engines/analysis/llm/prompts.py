"""The instructions a chat model gets to label a text. The text itself goes where `SLOT` stands."""

from __future__ import annotations

from engines.analysis.llm.hosted import SLOT
from engines.analysis.results import AnalysisTask
from engines.llama.template import Message

SENTIMENT_LABELS = ("positive", "negative", "neutral")
YES_NO = ("yes", "no")


def one_label(task: AnalysisTask, labels: tuple[str, ...]) -> list[Message]:
    what = "the sentiment of the text" if task == "sentiment" else "the text"
    listed = ", ".join(labels)
    return [
        {"role": "system", "content": f"You are a careful text classifier. Classify {what} with exactly one "
                                      f"of these labels: {listed}. Answer with the label only."},
        {"role": "user", "content": f"Text: {SLOT}\n\nLabels: {listed}\nLabel:"},
    ]


def label_applies(label: str) -> list[Message]:
    """Multi-label: one yes/no question per label; the instructions and the text come first, so the
    engine host reuses them from its cache for every label."""
    return [
        {"role": "system", "content": "You are a careful text classifier. Answer yes or no."},
        {"role": "user", "content": f"Text: {SLOT}\n\nDoes the label \"{label}\" apply to this text? "
                                    "Answer yes or no."},
    ]


def extract(schema: str) -> list[Message]:
    return [
        {"role": "system", "content": "You extract information from texts. Answer with JSON that fits this "
                                      f"JSON schema:\n{schema}"},
        {"role": "user", "content": f"Text: {SLOT}"},
    ]
