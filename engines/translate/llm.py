"""Translation through any installed chat model (llama.cpp engine).

Sentences are sent in chunks that fit a share of the context, one sentence per line, with a prompt
that asks for the translation only, line for line, with formatting kept. When a reply does not have
one line per input line the chunk is retried sentence by sentence, so the document's structure
never depends on the model following instructions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engines.errors import GenerationError
from engines.jobs import CancelToken
from engines.llama.chat_model import ChatModel
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message
from engines.translate.languages import normalize

NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "vi": "Vietnamese", "zh": "Chinese", "gl": "Galician", "eu": "Basque", "af": "Afrikaans", "sw": "Swahili",
}


def language_name(code: str) -> str:
    norm = normalize(code)
    return NAMES.get(norm, code)


def build_messages(lines: Sequence[str], src: str | None, tgt: str) -> list[Message]:
    source = f"from {language_name(src)} " if src else ""
    system = (
        f"You are a translation engine. Translate the user's text {source}into {language_name(tgt)}. "
        "Reply with the translation only: no notes, no explanations, no quotation marks around it. "
        "Keep the formatting exactly: one output line for each input line, in the same order, and keep "
        "Markdown, punctuation, numbers, names and code unchanged."
    )
    return [Message(role="system", content=system), Message(role="user", content="\n".join(lines))]


class LlmTranslator:
    """Any GGUF chat model as a translator for every language pair (quality depends on the model)."""

    any_to_any = True

    def __init__(self, engine: ChatModel, *, sampling: SamplingOptions | None = None) -> None:
        self.engine = engine
        self.name = engine.info.path.name
        self.budget = engine.context_size // 4
        self.sampling = sampling or SamplingOptions(temperature=0.0, top_k=1, repeat_penalty=1.0, max_tokens=None)

    def supports(self, src: str | None, tgt: str) -> bool:
        return True

    def budget_for(self, src: str | None, tgt: str) -> int:
        """Source tokens per request: the prompt's own tokens and room for a reply twice as long come off."""
        overhead = len(self.engine.chat_prompt_tokens(build_messages([""], src, tgt)))
        budget = (self.engine.context_size - overhead - 16) // 3
        if budget < 8:
            raise GenerationError(
                f"{self.name}'s context ({self.engine.context_size} tokens) is too small to translate with; "
                "load it with a larger context")
        return budget

    def chunks(self, sentences: Sequence[str]) -> list[list[int]]:
        """Indices of sentences grouped so each group's tokens stay within the budget."""
        groups: list[list[int]] = []
        used = 0
        for index, sentence in enumerate(sentences):
            cost = len(self.engine.tokenize(sentence, add_special=False)) + 1
            if groups and used + cost <= self.budget:
                groups[-1].append(index)
                used += cost
            else:
                groups.append([index])
                used = cost
        return groups

    def _ask(self, lines: Sequence[str], src: str | None, tgt: str, cancel: CancelToken | None) -> str:
        source_tokens = sum(len(self.engine.tokenize(line, add_special=False)) for line in lines)
        limit = max(16, 2 * source_tokens + 16)  # translations rarely double; never run to the context end
        sampling = self.sampling.model_copy(update={"max_tokens": limit})
        reply = self.engine.chat(build_messages(lines, src, tgt), sampling, cancel)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return reply.text.strip()

    def translate_sentences(self, sentences: Sequence[str], src: str | None, tgt: str,
                            cancel: CancelToken | None = None,
                            progress: Callable[[int, int], None] | None = None) -> list[str]:
        results = [""] * len(sentences)
        todo = [i for i, s in enumerate(sentences) if s.strip()]
        done = len(sentences) - len(todo)
        if progress:
            progress(done, len(sentences))
        if not todo:
            return results
        self.budget = self.budget_for(src, tgt)
        for group in self.chunks([sentences[i] for i in todo]):
            if cancel is not None:
                cancel.raise_if_cancelled()
            indices = [todo[g] for g in group]
            lines = [" ".join(sentences[i].split()) for i in indices]
            reply_lines = [line for line in self._ask(lines, src, tgt, cancel).splitlines() if line.strip()]
            if len(reply_lines) != len(lines):  # the model merged or split lines: one sentence at a time
                reply_lines = [self._ask([line], src, tgt, cancel).replace("\n", " ") for line in lines]
            for i, text in zip(indices, reply_lines, strict=True):
                results[i] = text.strip()
            done += len(indices)
            if progress:
                progress(done, len(sentences))
        return results
