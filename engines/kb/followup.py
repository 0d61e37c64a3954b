"""Follow-up questions in a conversation: what to search for when the question leans on earlier ones.

"And the second one?" or "E quanto custa?" has too few words of its own to retrieve the right
passages. A question is a follow-up when it starts with a joining word ("and", "but", "e", "mas"),
holds a word that points back ("it", "that one", "isso", "dele"), or has fewer than three words left
after stop words; then the user's previous question is searched with it (and the one before that,
when the previous one was itself a follow-up). A question that stands alone is searched alone, so
a change of subject does not drag the old one along.
"""

from __future__ import annotations

from collections.abc import Sequence

from engines.kb.retrieval import STOP_WORDS, WORD

LEADS = frozenset("and but also so then or plus e mas também entao então ou".split())
REFERRING = frozenset("""
it its it's they them their those these that this one ones former latter second third other others else
ele ela eles elas dele dela deles delas isso isto esse essa esses essas este esta estes estas aquele aquela
aquilo nele nela disso nisso desse dessa segundo segunda terceiro terceira outro outra outros outras
""".split())
MIN_OWN_WORDS = 3
MAX_EARLIER = 2  # previous questions joined at most


def is_follow_up(question: str) -> bool:
    words = [w.lower() for w in WORD.findall(question)]
    if not words:
        return False
    own = [w for w in words if w not in STOP_WORDS and w not in REFERRING]
    return words[0] in LEADS or any(w in REFERRING for w in words) or len(own) < MIN_OWN_WORDS


def search_text(question: str, earlier: Sequence[str]) -> str:
    """What retrieval should look for: the question, after the earlier questions it follows up on."""
    parts = [question]
    for previous in reversed([e for e in earlier if e.strip()][-MAX_EARLIER:]):
        if not is_follow_up(parts[0]):
            break
        parts.insert(0, previous)
    return " ".join(parts)


def previous_question(question: str, earlier: Sequence[str]) -> str:
    """The question a follow-up refers to (shown to the chat model beside it), or ""."""
    asked = [e for e in earlier if e.strip()]
    return asked[-1] if asked and is_follow_up(question) else ""
