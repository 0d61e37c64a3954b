"""Offline source-language detection with py3langid.

Why py3langid: it is langid.py's maintained fork (by the trafilatura author), ships its model inside
the package (a 4.5 MB numpy `.npz.xz`, no pickle, nothing to download), needs only numpy, covers 97
languages with ISO 639-1 codes, is deterministic and classifies a paragraph in well under a
millisecond. lingua is more accurate on very short text but its models weigh hundreds of MB in
memory; fastText's detector needs a separate model download.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engines.errors import CandeiaError
from engines.translate.languages import normalize


class DetectionError(CandeiaError, ValueError):
    """The source language could not be told from the text."""


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float  # 0..1 among the candidate languages


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _identifier(candidates: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates:
        known = set(ident.nb_classes)
        usable = [c for c in candidates if c in known]
        if usable:
            ident.set_languages(usable)
    return ident


def detect_language(text: str, candidates: Iterable[str] | None = None) -> Detection:
    """Guess `text`'s language, optionally only among `candidates` (the languages installed models read)."""
    sample = text.strip()[:4000]
    if not any(ch.isalpha() for ch in sample):
        raise DetectionError("the text has no letters to tell its language from; pass the source language")
    keys = tuple(sorted({normalize(c) for c in candidates})) if candidates else ()
    with _lock:  # identifiers are shared and not documented as thread-safe
        lang, prob = _identifier(keys).classify(sample)
    return Detection(language=str(lang), confidence=float(prob))


def detector_languages() -> set[str]:
    """The languages the detector knows (ISO 639-1)."""
    return set(_identifier(()).nb_classes)
