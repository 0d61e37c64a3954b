"""Remote endpoints the user added (`models add-remote`), and the models each one serves.

They live in `remotes.json` beside the model list, not in it: a remote model has no file, and
older versions of Candeia keep reading the model list they know. Each endpoint's models are read
from its `/v1/models` when it is added (and again on `refresh`); each becomes one model with the
id `NAME/MODEL_ID`, listed as running on another computer. API keys are never in this file: a key
is either read from an environment variable the user named, or kept by engines/remote/keys.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.atomic import atomic_write_json
from engines.errors import ModelNotFoundError, StoreError, UsageError
from engines.paths import data_dir
from engines.remote.client import OpenAIClient, RemoteModelInfo
from engines.remote.guard import parse_url
from engines.remote.keys import delete_key, save_key
from engines.store.model_store import InstalledModel, ModelFormat

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class RemoteModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    context_size: int | None = None


class RemoteEndpoint(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    url: str
    key_env: str | None = Field(default=None, description="environment variable that holds the API key")
    stored_key: bool = Field(default=False, description="a key is in the keyring or the private key file")
    confirmed: bool = Field(default=False, description="the user allowed it outside the local network")
    ca_file: str | None = None
    models: list[RemoteModel] = Field(default_factory=list)
    added_at: str = ""


class _Remotes(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoints: list[RemoteEndpoint] = Field(default_factory=list)


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UsageError(f"{name!r} is not a usable name: use letters, digits, '.', '_' or '-' (up to 64)")
    return name


class RemoteStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "remotes.json"
        self._lock = FileLock(str(self.path) + ".lock", timeout=30)

    def _read(self) -> _Remotes:
        try:
            return _Remotes.model_validate_json(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _Remotes()
        except (OSError, ValidationError) as exc:
            raise StoreError(f"the list of remote endpoints {self.path} cannot be read") from exc

    @contextmanager
    def _editing(self) -> Iterator[_Remotes]:
        with self._lock:
            remotes = self._read()
            yield remotes
            atomic_write_json(self.path, remotes.model_dump(mode="json"))

    def endpoints(self) -> list[RemoteEndpoint]:
        return list(self._read().endpoints)

    def endpoint(self, name: str) -> RemoteEndpoint:
        found = next((e for e in self.endpoints() if e.name == name), None)
        if found is None:
            raise ModelNotFoundError(f"no remote endpoint is named '{name}'")
        return found

    def save(self, endpoint: RemoteEndpoint) -> None:
        """Add it, or replace the one of that name where it stands (lists keep their order)."""
        with self._editing() as remotes:
            names = [e.name for e in remotes.endpoints]
            if endpoint.name in names:
                remotes.endpoints[names.index(endpoint.name)] = endpoint
            else:
                remotes.endpoints.append(endpoint)

    def replace_models(self, name: str, models: list[RemoteModel]) -> tuple[RemoteEndpoint, RemoteEndpoint]:
        """Give the endpoint a new model list, under the lock: (before, after). An endpoint removed while
        its list was being read stays removed."""
        with self._editing() as remotes:
            names = [e.name for e in remotes.endpoints]
            if name not in names:
                raise ModelNotFoundError(f"no remote endpoint is named '{name}'")
            before = remotes.endpoints[names.index(name)]
            after = remotes.endpoints[names.index(name)] = before.model_copy(update={"models": models})
        return before, after

    def remove(self, name: str) -> RemoteEndpoint:
        with self._editing() as remotes:
            found = next((e for e in remotes.endpoints if e.name == name), None)
            if found is None:
                raise ModelNotFoundError(f"no remote endpoint is named '{name}'")
            remotes.endpoints.remove(found)
        delete_key(name)
        return found

    def models(self) -> list[InstalledModel]:
        """Every remote model as a model entry (format `remote`), for lists and pickers."""
        try:
            endpoints = self.endpoints()
        except StoreError:
            return []
        return [as_installed(e, m) for e in endpoints for m in e.models]

    def find(self, ref: str) -> tuple[RemoteEndpoint, RemoteModel] | None:
        """The endpoint and model `ref` names (`NAME/MODEL_ID`, or `NAME` when it serves one model)."""
        name, _, model_id = ref.partition("/")
        try:
            endpoint = next((e for e in self.endpoints() if e.name == name), None)
        except StoreError:
            return None
        if endpoint is None:
            return None
        if not model_id and len(endpoint.models) == 1:
            return endpoint, endpoint.models[0]
        model = next((m for m in endpoint.models if m.id == model_id), None)
        if model is None:
            served = ", ".join(m.id for m in endpoint.models) or "none"
            raise ModelNotFoundError(f"{name} does not serve '{model_id}' (it serves: {served})")
        return endpoint, model


def as_installed(endpoint: RemoteEndpoint, model: RemoteModel) -> InstalledModel:
    return InstalledModel(id=f"{endpoint.name}/{model.id}", name=f"{model.id} ({endpoint.name})",
                          format=ModelFormat.remote, path=endpoint.url, linked=True, size=0, tasks=["chat"],
                          added_at=endpoint.added_at, remote=endpoint.name)


def read_models(client: OpenAIClient) -> list[RemoteModel]:
    found: list[RemoteModelInfo] = client.list_models()
    return [RemoteModel(id=m.id, context_size=m.context_size) for m in found]


def add_remote(store: RemoteStore, name: str, url: str, client: OpenAIClient, *, key_env: str | None = None,
               key: str | None = None, confirmed: bool = False, ca_file: str | None = None) -> RemoteEndpoint:
    """Ask the endpoint for its models (through the guard) and register it; the key is stored only then."""
    check_name(name)
    if any(e.name == name for e in store.endpoints()):
        raise UsageError(f"a remote endpoint is already named '{name}'; remove it first or pick another name")
    parse_url(url)
    models = read_models(client)
    if not models:
        raise UsageError(f"{url} serves no models")
    endpoint = RemoteEndpoint(name=name, url=url.strip(), key_env=key_env or None, stored_key=bool(key),
                              confirmed=confirmed, ca_file=ca_file, models=models,
                              added_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if key:
        save_key(name, key)
    store.save(endpoint)
    return endpoint


def refresh_remote(store: RemoteStore, name: str, client: OpenAIClient) -> tuple[RemoteEndpoint, list[str], list[str]]:
    """Read the endpoint's models again (the other computer may have loaded or dropped some) and keep the
    new list: (the endpoint, the model ids that appeared, the ones that are gone). Nothing changes here
    when the endpoint cannot be read or now serves no models."""
    endpoint = store.endpoint(name)
    models = read_models(client)
    if not models:
        raise UsageError(f"{endpoint.url} now serves no models; the list of {name} was kept as it was")
    before, after = store.replace_models(name, models)
    old, new = {m.id for m in before.models}, {m.id for m in after.models}
    return after, sorted(new - old), sorted(old - new)
