"""Where knowledge bases live (`<data folder>/kb/<name>.sqlite`) and how they are made, listed and removed."""

from __future__ import annotations

import re
from pathlib import Path

from engines.kb.api import KBStatus, KnowledgeBase, KnowledgeBaseError
from engines.paths import data_dir

_NAME = re.compile(r"^[\w][\w .-]{0,63}$")
SUFFIX = ".sqlite"


def kb_dir() -> Path:
    path = data_dir() / "kb"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kb_path(name: str) -> Path:
    if not _NAME.match(name) or name.endswith((" ", ".")):
        raise KnowledgeBaseError(f"'{name}' is not a usable name: use up to 64 letters, digits, spaces, '.', "
                                 "'-' or '_', starting with a letter or digit")
    return kb_dir() / f"{name}{SUFFIX}"


def default_embed_model() -> str:
    """An installed embedding model: a multilingual one first (questions in any language)."""
    from engines.store.model_store import ModelStore

    models = [m for m in ModelStore().installed() if "embed" in m.tasks]
    if not models:
        raise KnowledgeBaseError("no embedding model is installed: download one ('candeia-cli models catalog "
                                 "--task embed') or pass -m with an ONNX folder or a .gguf file")
    models.sort(key=lambda m: (not any(w in m.id.lower() for w in ("multilingual", "e5", "bge-m3")), m.id))
    return models[0].id


def create(name: str, embed_model: str | None, threads: int | None = None) -> KnowledgeBase:
    from engines.encoders.open import read_prompts
    from engines.store.models import resolve_model

    path = kb_path(name)
    if path.exists():
        raise KnowledgeBaseError(f"a knowledge base named '{name}' already exists")
    ref = embed_model or default_embed_model()
    resolved = resolve_model(ref)  # an unknown model fails here, before a file is made
    prompts = read_prompts(resolved.path, resolved.label)
    kb = KnowledgeBase(name, path, create=True, threads=threads)
    with kb.index.transaction():
        kb.index.set_meta("schema", "1")
        kb.index.set_meta("embed_model", resolved.installed.id if resolved.installed else str(resolved.path))
        kb.index.set_meta("query_prefix", prompts.query)
        kb.index.set_meta("passage_prefix", prompts.passage)
        # E5 models were trained with a low temperature: unrelated texts still score about 0.7
        kb.index.set_meta("min_similarity", "0.8" if prompts.query == "query: " else "0.3")
    return kb


def open_existing(name: str, threads: int | None = None) -> KnowledgeBase:
    path = kb_path(name)
    if not path.is_file():
        known = ", ".join(s.name for s in list_all()[:5])
        raise KnowledgeBaseError(f"there is no knowledge base named '{name}'" + (f" (there are: {known})"
                                                                                 if known else ""))
    return KnowledgeBase(name, path, threads=threads)


def list_all() -> list[KBStatus]:
    out: list[KBStatus] = []
    for path in sorted(kb_dir().glob(f"*{SUFFIX}")):
        try:
            with KnowledgeBase(path.stem, path) as kb:
                out.append(kb.status())
        except KnowledgeBaseError:
            continue  # a damaged file is listed by nobody rather than breaking the list
    return out


def remove(name: str) -> None:
    path = kb_path(name)
    if not path.is_file():
        raise KnowledgeBaseError(f"there is no knowledge base named '{name}'")
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        file.unlink(missing_ok=True)
