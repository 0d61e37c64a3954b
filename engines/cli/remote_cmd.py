"""`candeia-cli models add-remote` and `refresh-remote`, and the remote side of `models list` and `models remove`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from engines.download.offline import is_offline
from engines.errors import UsageError
from engines.remote.client import OpenAIClient
from engines.settings import load_settings
from engines.store.model_store import InstalledModel
from engines.store.remotes import RemoteStore, add_remote, refresh_remote

REMOTE_MARK = "runs on another computer"


def register(actions: Any) -> None:
    add = actions.add_parser("add-remote", help="use the models of an OpenAI-compatible server on another computer")
    add.add_argument("name", help="a short name for the server, e.g. 'desktop-pc'")
    add.add_argument("--url", required=True, help="its address, e.g. http://192.168.1.20:8080/v1")
    key = add.add_mutually_exclusive_group()
    key.add_argument("--api-key-env", metavar="VAR", help="environment variable that holds its API key")
    key.add_argument("--api-key-stdin", action="store_true",
                     help="read the API key from standard input and keep it in the keyring (or a private file)")
    add.add_argument("--ca-file", help="certificate of the CA that signed the server's certificate")
    add.add_argument("--allow-outside", action="store_true",
                     help="allow it in offline mode even though it is outside this computer and the local network")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add_remote)
    refresh = actions.add_parser("refresh-remote",
                                 help="read a remote endpoint's models again (it may have loaded or dropped some)")
    refresh.add_argument("name", help="the endpoint's name, as given to add-remote")
    refresh.add_argument("--json", action="store_true")
    refresh.set_defaults(handler=run_refresh_remote)


def run_add_remote(args: argparse.Namespace) -> int:
    key = sys.stdin.readline().strip() if args.api_key_stdin else None
    if args.api_key_stdin and not key:
        raise UsageError("no API key was given on standard input")
    api_key = key or (os.environ.get(args.api_key_env) if args.api_key_env else None)
    if args.api_key_env and not api_key:
        raise UsageError(f"the environment variable {args.api_key_env} is not set")
    client = OpenAIClient(args.url, api_key=api_key, offline=is_offline(load_settings()),
                          confirmed=args.allow_outside, ca_file=args.ca_file)
    endpoint = add_remote(RemoteStore(), args.name, args.url, client, key_env=args.api_key_env, key=key,
                          confirmed=args.allow_outside, ca_file=args.ca_file)
    if args.json:
        print(json.dumps(endpoint.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    for model in endpoint.models:
        print(f"added {endpoint.name}/{model.id} ({REMOTE_MARK}: {endpoint.url})")
    return 0


def run_refresh_remote(args: argparse.Namespace) -> int:
    from engines.host.remote_chat import client_for  # deferred: the chat side is needed only here

    store = RemoteStore()
    endpoint, added, gone = refresh_remote(store, args.name, client_for(store.endpoint(args.name), load_settings()))
    if args.json:
        print(json.dumps({**endpoint.model_dump(mode="json"), "added": added, "gone": gone}, ensure_ascii=False,
                         indent=2))
        return 0
    for model_id in added:
        print(f"added {endpoint.name}/{model_id} ({REMOTE_MARK}: {endpoint.url})")
    for model_id in gone:
        print(f"gone: {endpoint.name}/{model_id} (no longer served there)")
    if not added and not gone:
        print(f"{endpoint.name} serves the same models as before: " + ", ".join(m.id for m in endpoint.models))
    return 0


def remote_rows(models: list[InstalledModel]) -> list[str]:
    return [f"{m.id}  remote  ({REMOTE_MARK}: {m.path})" for m in models]


def remove_remote(name: str) -> bool:
    """Remove the endpoint `name` (or the one of `name/model`); False if there is none."""
    store = RemoteStore()
    endpoint = name.partition("/")[0]
    if not any(e.name == endpoint for e in store.endpoints()):
        return False
    removed = store.remove(endpoint)
    served = ", ".join(m.id for m in removed.models)
    print(f"removed the remote endpoint {removed.name} ({served}); nothing on that computer was touched")
    return True
