"""Open a chat model the user named (an installed id or a path) in an engine host of its own.

The GUI, the CLI and LLM translation all load chat models through here, so the first-load check
and its repair ladder (engines/host/repair.py) happen the same way for everyone.
"""

from __future__ import annotations

from pathlib import Path

from engines.gguf.info import require_model
from engines.host.chat import HostedChatEngine
from engines.host.repair import load_with_repair
from engines.llama.engine import LoadOptions
from engines.settings import Settings, load_settings
from engines.store.model_store import ModelStore, ProbeRecord
from engines.store.models import inspect_gguf


def load_options_from(settings: Settings, **overrides: int | None) -> LoadOptions:
    values: dict[str, int | None] = {
        "context_size": settings.context_size,
        "threads": settings.threads,
        "gpu_layers": settings.gpu_layers,
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LoadOptions(
        context_size=int(values["context_size"] or settings.context_size),
        threads=values["threads"],
        gpu_layers=int(values["gpu_layers"] or 0),
    )


def _stamp(path: Path) -> ProbeRecord:
    stat = path.stat()
    return ProbeRecord(size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def open_chat_model(
    ref: str,
    options: LoadOptions | None = None,
    *,
    store: ModelStore | None = None,
    parallel: int = 0,
) -> HostedChatEngine:
    """Resolve, validate and load a GGUF chat model in an engine host of its own. The first load of a
    file on this computer also checks it with a batched decode, and falls back to safe settings if
    llama.cpp crashes (engines/host/repair.py); `repair` then says what changed. `parallel` > 0 loads it
    for serving that many replies at once (engines/llama/served.py)."""
    store = store or ModelStore()
    resolved, info = inspect_gguf(ref, store)
    require_model(info, "chat model")

    def start(chosen: LoadOptions, probe: bool) -> HostedChatEngine:
        return HostedChatEngine(info, chosen, probe=probe, parallel=parallel)

    engine, repair = load_with_repair(resolved.path, options or load_options_from(load_settings()), start)
    engine.repair = repair
    if resolved.installed is not None and resolved.installed.probe != _stamp(resolved.path):
        store.update(resolved.installed.id, probe=_stamp(resolved.path))
    return engine
