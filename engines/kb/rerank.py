"""Re-order fused candidates with a cross-encoder, which reads the question and each passage together."""

from __future__ import annotations

import dataclasses

from engines.encoders.cross_encoder import CrossEncoder
from engines.kb.api import Hit, KnowledgeBase, KnowledgeBaseError

_loaded: dict[str, CrossEncoder] = {}  # one per model for the process: rerankers are small (20-100 MB)


def find_reranker(ref: str | None) -> str:
    if ref:
        return ref
    from engines.store.model_store import ModelStore

    for model in ModelStore().installed():
        if "rerank" in model.tasks:
            return model.id
    raise KnowledgeBaseError("no reranker is installed: pass one (an ONNX cross-encoder folder) or search without "
                             "reranking")


def reranker(ref: str | None, threads: int | None = None) -> CrossEncoder:
    from engines.store.models import resolve_model

    key = find_reranker(ref)
    if key not in _loaded:
        resolved = resolve_model(key)
        folder = resolved.path if resolved.path.is_dir() else resolved.path.parent
        _loaded[key] = CrossEncoder(folder, threads=threads)
    return _loaded[key]


def rerank_hits(kb: KnowledgeBase, query: str, hits: list[Hit], ref: str | None) -> list[Hit]:
    scores = reranker(ref, kb.threads).score(query, [f"{h.heading}\n{h.text}" if h.heading else h.text
                                                     for h in hits])
    order = sorted(range(len(hits)), key=lambda i: -float(scores[i]))
    return [dataclasses.replace(hits[i], score=float(scores[i])) for i in order]
