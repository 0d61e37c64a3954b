"""Which languages and models the Translate page offers, read from the installed models (no Qt widgets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QLocale

from engines.cards import ModelCard
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.translate.languages import normalize
from engines.translate.routes import installed_translators

# What a chat model is offered for (LLMs read far more, but these are the ones worth listing first).
LLM_LANGUAGES = (
    "en", "pt", "es", "fr", "de", "it", "nl", "pl", "ru", "uk", "tr", "ar", "he", "hi", "zh", "ja", "ko",
    "vi", "id", "th", "sv", "da", "no", "fi", "cs", "el", "ro", "hu", "bg", "ca",
)


@dataclass
class ModelChoice:
    """One entry of the model picker: `ref` is what `TranslationService.translate(model=...)` takes."""

    ref: str | None  # None: let the core pick (pivoting through English when it must)
    name: str
    llm: bool = False
    languages: set[str] = field(default_factory=set)
    folder: str = ""  # the model folder's (or GGUF file's) name: what the core reports as the model used


@dataclass
class Offer:
    translators: list[ModelChoice]
    chat: list[ModelChoice]
    languages: list[str]  # every language an installed translation model reads or writes

    @property
    def empty(self) -> bool:
        return not self.translators and not self.chat


def read_offer(store: ModelStore, cards: Sequence[ModelCard], chat_models: Sequence[InstalledModel]) -> Offer:
    translators: list[ModelChoice] = []
    every: set[str] = set()
    try:
        found = installed_translators(store, cards)
    except Exception:  # a damaged manifest: the Models page reports it
        found = []
    for model, langs in found:
        codes = {normalize(c) for c in langs.sources | langs.targets}
        every |= codes
        translators.append(ModelChoice(model.id, model.name or model.id, languages=codes,
                                       folder=Path(model.path).name))
    chat = [ModelChoice(m.id, m.name or m.id, llm=True, languages=set(LLM_LANGUAGES),
                        folder=m.name if m.remote else Path(m.path).name)  # a remote model's name is its engine's
            for m in chat_models if m.format in (ModelFormat.gguf, ModelFormat.remote)]
    return Offer(translators, chat, sort_languages(every))


def language_name(code: str) -> str:
    """A language in its own name, with its code: 'Deutsch (de)'. Unknown codes stay as they are."""
    if code == "en":
        name = "English"  # Qt's native name for plain "en" is "American English"
    else:
        locale = QLocale(code)
        name = locale.nativeLanguageName() if locale.language() != QLocale.Language.C else ""
    if not name:
        return code
    return f"{name[:1].upper()}{name[1:]} ({code})"


def sort_languages(codes: set[str] | Sequence[str]) -> list[str]:
    return sorted(set(codes), key=lambda c: language_name(c).casefold())
