"""The engine host's side of a chat model used as a classifier: grammar-constrained labels.

One `label` request evaluates a prompt once, then
- decodes greedily under a GBNF grammar (llama.cpp's own grammar sampler), so the text that comes
  out always parses: one of the labels, or JSON that fits the user's schema;
- scores each label (`choices`) as the product of its tokens' probabilities after the prompt,
  the exact probability the model gives that label's text; the client normalises over the labels.

The text is spliced between a prefix and a suffix as tokens and cut to fit the context, so an
over-long text is truncated (and said so) instead of failing. Only ever imported inside the host
process: llama.cpp never runs in the app.
"""

from __future__ import annotations

import math
import time
from typing import Any

from engines.errors import CandeiaError, ModelLoadError
from engines.gguf.info import GGUFInfo
from engines.jobs import CancelToken
from engines.llama.load_params import overriding

RESERVE = 8  # tokens kept free after the prompt beyond the reply's own budget


class GGUFLabeler:
    def __init__(self, info: GGUFInfo, options: Any) -> None:
        from engines.llama.native import llama_cpp_module

        self._module = module = llama_cpp_module()
        started = time.perf_counter()
        trained = info.context_length or options.context_size
        size = max(256, min(options.context_size, trained))
        try:
            with overriding(module, use_extra_bufts=options.extra_buffers):
                self._llama: Any = module.Llama(
                    model_path=str(info.path), n_ctx=size, n_batch=min(size, 512), n_threads=options.threads,
                    n_gpu_layers=options.gpu_layers, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"llama.cpp could not load {info.path.name} ({exc})") from None
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.context = int(self._llama.n_ctx())
        self._grammars: dict[str, Any] = {}

    def probe(self, tokens: list[int], generate: int) -> None:
        """The first-load check (engines/host/repair.py): one batched decode, then a few tokens."""
        for count, _ in enumerate(self._llama.generate(tokens, temp=0.0), start=1):
            if count >= generate:
                break
        self._llama.reset()

    def special_text(self, token: int) -> str:
        if token < 0:
            return ""
        return bytes(self._llama.detokenize([token], special=True)).decode("utf-8", "replace")

    @property
    def bos(self) -> str:
        return self.special_text(int(self._llama.token_bos()))

    @property
    def eos(self) -> str:
        return self.special_text(int(self._llama.token_eos()))

    def tokens(self, text: str, *, add_bos: bool = False) -> list[int]:
        if not text:
            return []
        tokens: list[int] = self._llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        return tokens

    def prompt(self, prefix: str, text: str, suffix: str, add_special: bool,
               max_tokens: int) -> tuple[list[int], int, int]:
        """The prompt's tokens, and how many of the text's tokens it keeps of how many (fewer when the
        text is cut to fit the context)."""
        head = self.tokens(prefix, add_bos=add_special)
        body = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False) if text else []
        tail = self.tokens(suffix, add_bos=False)
        room = self.context - max_tokens - RESERVE - len(head) - len(tail)
        if room < 1:
            raise CandeiaError(f"the instructions alone fill this model's context of {self.context} tokens")
        kept = min(len(body), room)
        return head + body[:kept] + tail, kept, len(body)

    def _grammar(self, source: str | None, schema: str | None) -> Any:
        if schema:
            try:
                source = self._module.llama_grammar.json_schema_to_gbnf(schema)
            except (ValueError, KeyError, TypeError, NotImplementedError, RecursionError) as exc:
                raise CandeiaError(f"this JSON schema cannot be turned into a grammar ({exc})") from None
        if not source:
            return None
        grammar = self._grammars.get(source)
        if grammar is None:
            grammar = self._grammars[source] = self._module.LlamaGrammar.from_string(source, verbose=False)
        return grammar

    def _last_logprobs(self) -> Any:
        import numpy as np

        raw = np.ctypeslib.as_array(self._llama._ctx.get_logits_ith(-1), shape=(self._llama.n_vocab(),))
        logits = raw.astype(np.float64)
        top = float(logits.max())
        return logits - (top + math.log(float(np.exp(logits - top).sum())))

    def label(self, message: dict[str, Any], cancel: CancelToken | None) -> dict[str, Any]:
        max_tokens = int(message.get("max_tokens", 32))
        tokens, kept, total = self.prompt(message.get("prefix", ""), message.get("text", ""), message.get("suffix", ""),
                                  bool(message.get("add_special", True)), max_tokens)
        grammar = self._grammar(message.get("grammar"), message.get("json_schema"))
        started = time.perf_counter()
        text, first, chosen = self._decode(tokens, grammar, max_tokens, cancel)
        decode_ms = (time.perf_counter() - started) * 1000.0
        choices = [str(c) for c in message.get("choices", ())]
        scores = self._score_choices(tokens, first, choices) if choices and first is not None else []
        return {"text": text, "logprobs": scores, "token_logprobs": chosen, "kept_tokens": kept,
                "text_tokens": total,
                "prompt_tokens": len(tokens), "decode_ms": decode_ms}

    def _decode(self, tokens: list[int], grammar: Any, max_tokens: int,
                cancel: CancelToken | None) -> tuple[str, Any, list[float]]:
        """Greedy decoding under the grammar; the first step's log-probabilities; each chosen token's."""
        vocab = self._llama._model.vocab
        out: list[int] = []
        chosen: list[float] = []
        first = None
        # each generate call builds a fresh grammar sampler; a prefix still in the cache (the
        # instructions and the text, when several questions are asked about one text) is reused
        for token in self._llama.generate(tokens, temp=0.0, repeat_penalty=1.0, grammar=grammar, reset=True):
            if cancel is not None and cancel.cancelled:
                break
            logprobs = self._last_logprobs()
            if first is None:
                first = logprobs
            if self._module.llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            out.append(int(token))
            chosen.append(float(logprobs[token]))
            if len(out) >= max_tokens:
                break
        text = bytes(self._llama.detokenize(out)).decode("utf-8", "replace") if out else ""
        return text, first, chosen

    def _score_choices(self, prompt: list[int], first: Any, choices: list[str]) -> list[float]:
        """log P(choice) = the sum of its tokens' log-probabilities after the prompt; a prefix shared by
        several choices is evaluated once."""
        seen: dict[tuple[int, ...], Any] = {(): first}
        out: list[float] = []
        for choice in choices:
            pieces: list[int] = self._llama.tokenize(choice.encode("utf-8"), add_bos=False, special=False)
            total = 0.0
            for i, token in enumerate(pieces):
                key = tuple(pieces[:i])
                if key not in seen:
                    self._llama.n_tokens = len(prompt)
                    self._llama.eval(list(pieces[:i]))
                    seen[key] = self._last_logprobs()
                total += float(seen[key][token])
            out.append(total)
        self._llama.n_tokens = len(prompt)  # keep the prompt cached for the next request
        self._llama._ctx.kv_cache_seq_rm(-1, len(prompt), -1)
        self._llama._requires_eval = True
        return out
