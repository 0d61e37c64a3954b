"""System prompt presets offered in the chat header."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def system_presets() -> list[tuple[str, str]]:
    """(name, prompt) pairs; the first, with an empty prompt, means no system prompt."""
    return [
        (QCoreApplication.translate("presets", "No system prompt"), ""),
        (QCoreApplication.translate("presets", "Helpful assistant"),
         QCoreApplication.translate("presets", "You are a helpful, honest assistant. Answer clearly.")),
        (QCoreApplication.translate("presets", "Concise"),
         QCoreApplication.translate("presets", "Answer in as few words as possible, without preamble.")),
        (QCoreApplication.translate("presets", "Programmer"),
         QCoreApplication.translate("presets", "You are an expert programmer. Answer with working code in fenced "
                                               "code blocks and brief explanations.")),
        (QCoreApplication.translate("presets", "Translator"),
         QCoreApplication.translate("presets", "Translate the user's text into English. "
                                               "Reply with the translation only.")),
    ]
