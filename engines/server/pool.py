"""The models the server has loaded: opened on the first request that names them, closed when idle.

Chat models load for serving (`parallel` slots in one engine host, engines/llama/batching.py);
embedding models are the app's text encoders (ONNX in this process, GGUF in an engine host). Only
installed model ids are accepted: a client on the network never names a file. Each model holds a
slot `server:<id>` in the ModelOwner, so the app's memory budget counts it and can ask for it back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engines.errors import InvalidModelFileError
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.system.model_owner import ModelOwner

log = logging.getLogger(__name__)

EMBED_ARCHITECTURES = ("bert", "nomic-bert", "jina-bert-v2", "jina-bert-v3", "modern-bert", "neo-bert")


@dataclass
class Loaded:
    model: Any  # a HostedChatEngine (kind "chat") or a TextEncoder (kind "embed")
    kind: str
    used_at: float = field(default_factory=time.monotonic)
    active: int = 0


def is_embedding_model(model: InstalledModel) -> bool:
    return "embed" in model.tasks or (model.format is ModelFormat.gguf and model.architecture in EMBED_ARCHITECTURES)


def is_chat_model(model: InstalledModel) -> bool:
    return model.format is ModelFormat.gguf and not is_embedding_model(model) and "chat" in model.tasks


class ModelPool:
    def __init__(self, *, parallel: int, idle_unload_s: float, owner: ModelOwner | None = None,
                 store: Callable[[], ModelStore] = ModelStore, context_size: int | None = None,
                 threads: int | None = None) -> None:
        self.parallel = max(1, parallel)
        self.idle_unload_s = idle_unload_s
        self._owner = owner
        self._store = store
        self._context_size = context_size
        self._threads = threads
        self._loaded: dict[str, Loaded] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._reap, name="server-idle-unload", daemon=True).start()

    def installed(self) -> list[InstalledModel]:
        return self._store().installed()

    def loaded_ids(self) -> list[str]:
        with self._lock:
            return list(self._loaded)

    @contextlib.contextmanager
    def use(self, model_id: str, kind: str) -> Iterator[Any]:
        """The loaded model (loading it first when needed), kept loaded while the block runs."""
        entry = self._get(model_id, kind)
        try:
            yield entry.model
        finally:
            with self._lock:
                entry.active -= 1
                entry.used_at = time.monotonic()

    def _get(self, model_id: str, kind: str) -> Loaded:
        installed = self._store().get(model_id)  # also refuses a model removed since it loaded
        _check_kind(installed, kind)
        with self._lock:
            lock = self._locks.setdefault(model_id, threading.Lock())
        with lock:  # two clients asking for the same model load it once
            with self._lock:
                entry = self._loaded.get(model_id)
                if entry is not None and self._usable(entry):
                    entry.active += 1
                    return entry
            if entry is not None:
                self.unload(model_id)
            model = self._open(installed, kind)
            entry = Loaded(model, kind, active=1)
            with self._lock:
                self._loaded[model_id] = entry
        if self._owner is not None:
            self._owner.claim(f"server:{model_id}", model_id, installed.size, lambda: self._release(model_id))
        log.info("server: loaded %s (%s)", model_id, kind)
        return entry

    def _usable(self, entry: Loaded) -> bool:
        return not getattr(entry.model, "closed", False)

    def _open(self, installed: InstalledModel, kind: str) -> Any:
        if kind == "chat":
            from engines.host.open_model import load_options_from, open_chat_model
            from engines.settings import load_settings

            options = load_options_from(load_settings(), context_size=self._context_size, threads=self._threads)
            return open_chat_model(installed.id, options, store=self._store(), parallel=self.parallel)
        from engines.encoders.open import open_encoder

        return open_encoder(installed.path)  # the path: this pool's store may not be the default one

    def _release(self, model_id: str) -> None:
        """The app's memory budget wants this model back: unload it once no request uses it."""
        threading.Thread(target=self._unload_when_idle, args=(model_id,), daemon=True).start()

    def _unload_when_idle(self, model_id: str) -> None:
        while not self._closed.is_set():
            with self._lock:
                entry = self._loaded.get(model_id)
                if entry is None:
                    return
                if entry.active == 0:  # taken out under the same lock: no request can pick it up now
                    del self._loaded[model_id]
                    break
            time.sleep(0.2)
        else:
            return  # the pool is closing: close() unloads it
        self._close_entry(model_id, entry, owner_knows=True)

    def unload(self, model_id: str, *, owner_knows: bool = False) -> None:
        with self._lock:
            entry = self._loaded.pop(model_id, None)
        if entry is not None:
            self._close_entry(model_id, entry, owner_knows=owner_knows)

    def _close_entry(self, model_id: str, entry: Loaded, *, owner_knows: bool) -> None:
        if self._owner is not None and not owner_knows:
            self._owner.released(f"server:{model_id}")
        entry.model.close()
        if self._owner is not None:
            self._owner.memory_freed()
        log.info("server: unloaded %s", model_id)

    def _reap(self) -> None:
        while not self._closed.wait(min(5.0, max(0.2, self.idle_unload_s / 4))):
            now = time.monotonic()
            with self._lock:  # checked and taken out under one lock, so a request cannot pick one up between
                idle = {mid: e for mid, e in self._loaded.items()
                        if e.active == 0 and now - e.used_at >= self.idle_unload_s}
                for model_id in idle:
                    del self._loaded[model_id]
            for model_id, entry in idle.items():
                self._close_entry(model_id, entry, owner_knows=False)

    def close(self) -> None:
        self._closed.set()
        for model_id in self.loaded_ids():
            self.unload(model_id)


def _check_kind(installed: InstalledModel, kind: str) -> None:
    if kind == "chat" and not is_chat_model(installed):
        raise InvalidModelFileError(installed.file, "is not a chat model (an embedding model goes to /v1/embeddings)")
    if kind == "embed" and not is_embedding_model(installed):
        raise InvalidModelFileError(installed.file, "is a chat model, not an embedding model")
