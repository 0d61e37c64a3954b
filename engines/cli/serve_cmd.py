"""`candeia-cli serve`: the OpenAI-compatible server on this computer (engines/server)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from typing import Any

from engines.errors import UsageError

LAN_WARNING = ("warning: serving on the network: anyone who can reach this computer and has the token can "
               "use your models. Keep the token secret; stop the server when you are done.")


def register(commands: Any) -> None:
    from engines.server import DEFAULT_PORT
    from engines.server.run import DEFAULT_IDLE_UNLOAD_S, DEFAULT_PARALLEL

    parser = commands.add_parser(
        "serve", help="serve installed models to other programs (OpenAI-compatible API)",
        description="Serve the installed models on an OpenAI-compatible HTTP API (/v1/models, /v1/chat/completions, "
        "/v1/completions, /v1/embeddings). Listens on 127.0.0.1 only, unless --lan. Every request needs the "
        "bearer token printed at start (kept in the data folder).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    parser.add_argument("--lan", action="store_true",
                        help="listen on the network (every interface, or --host) so other computers can connect")
    parser.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL,
                        help=f"replies one model writes at once (default {DEFAULT_PARALLEL})")
    parser.add_argument("--idle-unload", type=float, default=DEFAULT_IDLE_UNLOAD_S, metavar="S",
                        help=f"unload a model unused for S seconds (default {DEFAULT_IDLE_UNLOAD_S:.0f})")
    parser.add_argument("--threads", type=int, help="CPU threads per model (default: Settings)")
    parser.add_argument("--ctx", type=int, help="context size of each parallel reply (default: Settings)")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                        help="a web page origin allowed to call the server (e.g. http://localhost:3000)")
    parser.add_argument("--new-token", action="store_true", help="make a new token (the old one stops working)")
    parser.add_argument("--json", action="store_true", help='print {"url", "token"} as one JSON line at start')
    parser.add_argument("--check", action="store_true",
                        help="start, answer one request from this command, stop (checks the set-up)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engines.server.run import LocalServer, ServeOptions
    from engines.server.token import load_or_create_token, new_token

    if args.ctx is not None and args.ctx < 64:
        raise UsageError("--ctx must be at least 64")
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be at least 1")
    token = new_token() if args.new_token else load_or_create_token()
    options = ServeOptions(host=args.host, port=args.port, lan=args.lan, parallel=args.parallel,
                           idle_unload_s=args.idle_unload, allowed_origins=tuple(args.allow_origin),
                           context_size=args.ctx, threads=args.threads, token=token)
    server = LocalServer(options)
    url = server.start()
    try:
        if args.json:
            print(json.dumps({"url": url, "token": token}), flush=True)
        else:
            print(f"Candeia server: {url}\nToken: {token}\n(Authorization: Bearer <token>; Ctrl+C stops)", flush=True)
        if args.lan:
            print(LAN_WARNING, file=sys.stderr, flush=True)
        if args.check:
            return _check(url, token)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _check(url: str, token: str) -> int:
    """Ask the server for its model list over loopback, as a client would."""
    request = urllib.request.Request(f"{url}/models", headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy: it is local
    with opener.open(request, timeout=30) as response:
        listed = json.loads(response.read())
    print(f"check: {len(listed.get('data', []))} model(s) served", flush=True)
    return 0
