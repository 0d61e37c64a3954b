"""Which free slot a new reply takes, and how much of that slot's kept cache it reuses.

A slot that finishes keeps its keys and values, and the tokens they belong to, as llama-server's
`cache_prompt` does: a client that sends its conversation again (every chat client does, one turn
longer each time) or the same instructions as last time then decodes only what is new. A new reply
takes the free slot whose kept tokens share the longest prefix with its prompt. When that is no
more than a tenth of the prompt (a BOS token, a common system prompt), it takes the least recently
freed slot instead (an unused one first), as llama-server does (`--slot-prompt-similarity 0.1`), so a
short shared beginning does not throw away another client's conversation while older caches wait.
"""

from __future__ import annotations

from collections.abc import Sequence

SIMILARITY = 0.1  # the share of a prompt a kept prefix must cover to choose its slot over the oldest one


def common_prefix(kept: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading tokens the two share."""
    size = min(len(kept), len(tokens))
    if kept[:size] == tokens[:size]:  # the usual case (same conversation, longer): one C-level compare
        return size
    low, high = 0, size  # the answer is in [low, high): halve on slice compares, still C-level
    while high - low > 1:
        middle = (low + high) // 2
        if kept[low:middle] == tokens[low:middle]:
            low = middle
        else:
            high = middle
    return low


class SlotCache:
    """The free slots and, for each, the tokens whose keys and values its sequence still holds."""

    def __init__(self, parallel: int) -> None:
        self._kept: dict[int, list[int]] = {seq: [] for seq in range(parallel)}
        self._free = list(range(parallel))  # least recently freed first

    @property
    def free(self) -> int:
        return len(self._free)

    def kept(self, seq: int) -> list[int]:
        """What a free slot's sequence holds (empty for a busy one)."""
        return self._kept.get(seq, [])

    def take(self, tokens: Sequence[int]) -> tuple[int, int, int]:
        """A free slot for this prompt: (its sequence, how many of its kept tokens the prompt reuses,
        how many it kept). At most all but the last prompt token are reused: that one is decoded again
        so that its logits exist. The caller removes the rest from the KV cache."""
        best, reused = self._free[0], -1
        for seq in self._free:
            shared = common_prefix(self._kept[seq], tokens)
            if shared > reused:
                best, reused = seq, shared
        if reused <= SIMILARITY * len(tokens):
            best = self._free[0]
            reused = common_prefix(self._kept[best], tokens)
        self._free.remove(best)
        kept = self._kept.pop(best)
        return best, max(0, min(reused, len(tokens) - 1)), len(kept)

    def release(self, seq: int, kept: list[int]) -> None:
        """The slot is free again; `kept` is exactly what its sequence holds in the KV cache."""
        self._kept[seq] = kept
        self._free.append(seq)
