"""Truncation stemming for keyword search: every word of letters cut to its first five, accents off.

"irrigação" and "irrigar" both become "irrig", "telescópio" and "telescope" both "teles": word forms
within a language and cognates across Portuguese and English meet, with nothing per language
(McNamee, Nicholas and Mayfield 2009 found five-letter truncation about as good as a stemmer for
European languages). Numbers and tokens mixing letters and digits stay whole. The index keeps a
stemmed copy of each chunk (index.py's `stems_fts`, filled through the SQL function `kb_stems`), and
queries are stemmed the same way, so each query word is one exact term: a prefix query over the
plain words found the same passages but cost four times as much at 100k chunks.
"""

from __future__ import annotations

import re
import unicodedata

STEM = 5  # letters kept of a longer word
TOKEN = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps: letters and digits, "_" splits


def fold(word: str) -> str:
    """Lower case, accents off (as `remove_diacritics 2` stores terms)."""
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(c))


def stem(token: str) -> str:
    folded = fold(token)
    return folded[:STEM] if folded.isalpha() and len(folded) > STEM else folded


def stem_tokens(text: str | None) -> list[str]:
    return [stem(token) for token in TOKEN.findall(text or "")]


def stem_text(text: str | None) -> str:
    """The text as the stemmed index holds it: its tokens, stemmed, joined by spaces."""
    return " ".join(stem_tokens(text))
