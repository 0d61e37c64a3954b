"""System prompt presets offered in the chat header."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def system_presets() -> list[tuple[str, str]]:
    """(name, prompt) pairs; the first, with an empty prompt, means no system prompt."""
    t = QCoreApplication.translate
    return [
        (t("presets", "No system prompt"), ""),
        (t("presets", "Helpful assistant"), t("presets", "You are a helpful, honest assistant. Answer clearly.")),
        (t("presets", "Concise"), t("presets", "Answer in as few words as possible, without preamble.")),
        (t("presets", "Programmer"), t("presets",
            "You are an expert programmer. Answer with working code in fenced code blocks and brief explanations.")),
        (t("presets", "Translator"), t("presets",
            "Translate the user's text into English. Reply with the translation only.")),
        (t("presets", "Brazilian Portuguese"), t("presets", "Responda sempre em português do Brasil.")),
    ]
