"""Open a chat model the user named (an installed id or a path) in an engine host of its own.

The GUI, the CLI and LLM translation all load chat models through here, so the first-load check
and its repair ladder (engines/host/repair.py) happen the same way for everyone.
"""

from __future__ import annotations

from pathlib import Path

from engines.download.offline import is_offline
from engines.gguf.info import require_model
from engines.host.chat import HostedChatEngine
from engines.host.remote_chat import RemoteChatModel, client_for
from engines.host.repair import load_with_repair
from engines.llama.engine import LoadOptions
from engines.settings import Settings, load_settings
from engines.store.model_store import ModelStore, ProbeRecord
from engines.store.models import inspect_gguf
from engines.store.remotes import RemoteStore

OpenedChat = HostedChatEngine | RemoteChatModel


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
    remotes: RemoteStore | None = None,
    parallel: int = 0,
) -> OpenedChat:
    """Resolve, validate and load a GGUF chat model in an engine host of its own. The first load of a
    file on this computer also checks it with a batched decode, and falls back to safe settings if
    llama.cpp crashes (engines/host/repair.py); `repair` then says what changed. `parallel` > 0 loads it
    for serving that many replies at once (engines/llama/served.py). A remote model (`NAME/MODEL_ID` of
    an endpoint the user added) opens without sending anything."""
    store = store or ModelStore()
    remote = open_remote(ref, options, store, remotes or RemoteStore())
    if remote is not None:
        return remote
    resolved, info = inspect_gguf(ref, store)
    require_model(info, "chat model")

    def start(chosen: LoadOptions, probe: bool) -> HostedChatEngine:
        return HostedChatEngine(info, chosen, probe=probe, parallel=parallel)

    engine, repair = load_with_repair(resolved.path, options or load_options_from(load_settings()), start)
    engine.repair = repair
    if resolved.installed is not None and resolved.installed.probe != _stamp(resolved.path):
        store.update(resolved.installed.id, probe=_stamp(resolved.path))
    return engine


def open_remote(ref: str, options: LoadOptions | None, store: ModelStore,
                remotes: RemoteStore) -> RemoteChatModel | None:
    """The remote model `ref` names, or None when it names a local file or installed model."""
    if Path(ref).expanduser().exists() or any(m.id == ref for m in store.installed()):
        return None
    found = remotes.find(ref)
    if found is None:
        return None
    settings = load_settings()
    endpoint, model = found
    return RemoteChatModel(endpoint, model, client_for(endpoint, settings), options or load_options_from(settings),
                           offline=lambda: is_offline(load_settings()))
