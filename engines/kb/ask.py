"""Answers from a knowledge base: retrieve, number the passages, let the chat model answer with citations.

When retrieval finds nothing relevant (no keyword of the question in any chunk, and no chunk whose
vector is close enough), no model runs and the answer says so: a small model given unrelated
passages invents an answer more often than it admits there is none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from engines.errors import GenerationError
from engines.jobs import CancelToken
from engines.kb.api import Answer, AnswerDelta, AnswerEvent, Hit, KnowledgeBase, SearchMode
from engines.kb.followup import previous_question, search_text
from engines.kb.retrieval import keyword_ranks, vector_ranks
from engines.llama.chat_model import ChatModel
from engines.llama.engine import Finished, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message

NOTHING_FOUND = "The knowledge base has nothing relevant to this question."
SYSTEM_PROMPT = (
    "You answer questions from the user's own documents. Use only the numbered passages you are given. "
    "If they do not contain the answer, say that the documents do not say, and do not guess."
)
# Repeated after the passages, where small models still follow it: said only before them,
# Qwen2.5-Coder-0.5B answered with a bare "[1]"; given a whole example sentence, it copied the example.
INSTRUCTION = (
    "Answer the question in full sentences, in the language of the question, using only these passages. "
    "After each sentence, put the number of the passage it comes from in square brackets, like [1] or [2]."
)
MIN_SIMILARITY = 0.3  # cosine; E5 models put every pair above 0.7, so they get their own (registry.py)
REPLY_TOKENS = 512
CHARS_PER_TOKEN = 3  # a safe guess for budgeting passages into the context


def min_similarity(kb: KnowledgeBase) -> float:
    try:
        return float(kb.index.get_meta("min_similarity", str(MIN_SIMILARITY)))
    except ValueError:
        return MIN_SIMILARITY


def is_relevant(kb: KnowledgeBase, question: str) -> bool:
    if keyword_ranks(kb, question, 1):
        return True
    best = vector_ranks(kb, question, 1)
    return bool(best) and best[0][1] >= min_similarity(kb)


def _label(hit: Hit) -> str:
    where = Path(hit.path).name + (f", page {hit.page}" if hit.page else "")
    return f"{where} — {hit.heading}" if hit.heading else where


def build_messages(question: str, hits: list[Hit], context_size: int,
                   previous: str = "") -> tuple[list[Message], list[Hit]]:
    """The system prompt and a user turn with the passages that fit in the context, numbered from 1.
    `previous`: the question a follow-up refers to, shown before it."""
    budget = max(400, (context_size - REPLY_TOKENS - 200) * CHARS_PER_TOKEN - len(question))
    used: list[Hit] = []
    parts: list[str] = []
    for hit in hits:
        block = f"[{len(used) + 1}] ({_label(hit)})\n{hit.text}"
        if used and sum(len(p) for p in parts) + len(block) > budget:
            break
        parts.append(block[:budget])
        used.append(hit)
    passages = "\n\n".join(parts)
    asked = f"Earlier question: {previous}\nQuestion: {question}" if previous else f"Question: {question}"
    user = f"Passages:\n\n{passages}\n\n{asked}\n\n{INSTRUCTION}"
    return [Message(role="system", content=SYSTEM_PROMPT), Message(role="user", content=user)], used


def answer_stream(kb: KnowledgeBase, question: str, chat_model: ChatModel, *, k: int = 5,
                  mode: SearchMode = "hybrid", rerank: bool = False, sampling: SamplingOptions | None = None,
                  cancel: CancelToken | None = None, earlier: Sequence[str] = ()) -> Iterator[AnswerEvent]:
    query = search_text(question, earlier)
    if not question.strip() or not is_relevant(kb, query):
        yield Answer(NOTHING_FOUND, [], found=False)
        return
    hits = kb.search(query, k=k, mode=mode, rerank=rerank)
    messages, used = build_messages(question, hits, chat_model.context_size, previous_question(question, earlier))
    sampling = sampling or SamplingOptions(temperature=0.2, max_tokens=REPLY_TOKENS)
    finished: Finished | None = None
    for event in chat_model.stream_chat(messages, sampling, cancel):
        if isinstance(event, TextDelta):
            yield AnswerDelta(event.text)
        else:
            finished = event
    if finished is None:
        raise GenerationError("the answer ended without a result")
    yield Answer(finished.text.strip(), used)
