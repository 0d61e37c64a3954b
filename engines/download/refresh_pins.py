"""Refresh a card's pins from a live hub, for maintainers: `python -m engines.download.refresh_pins CARD...`.

For each card it asks the hub (HF_ENDPOINT or the setting, huggingface.co by default) for every
file at `--revision` (default: the card's own revision; `--latest` follows main), then rewrites
the card's `revision`, `size` and `sha256` lines in place, keeping its comments. A file the hub
keeps in git rather than LFS has no published sha256: it is written as "unknown" and the first
download records it. Update the card's "Pins:" comment to say where the new values came from.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from engines.cards.catalog import builtin_cards_dir, load_card
from engines.cards.hashes import UNKNOWN_SHA256
from engines.download.endpoint import check_transport, http_allowed, hub_endpoint
from engines.download.hub_meta import RemoteFile, resolve_files
from engines.errors import CandeiaError
from engines.settings import load_settings


@dataclass(frozen=True)
class Pins:
    revision: str
    files: dict[str, tuple[int, str]]  # path -> (size, sha256 or "unknown")


def fetch_pins(repo: str, paths: list[str], revision: str, endpoint: str) -> Pins:
    remotes: list[RemoteFile] = resolve_files(repo, paths, revision, endpoint)
    files: dict[str, tuple[int, str]] = {}
    for remote in remotes:
        if remote.size is None:
            raise CandeiaError(f"{repo}: the hub did not say how big {remote.path} is")
        files[remote.path] = (remote.size, remote.sha256 or UNKNOWN_SHA256)
    return Pins(remotes[0].commit, files)


def rewrite(text: str, pins: Pins) -> str:
    """The card's TOML with its revision and per-file size and sha256 replaced (comments kept)."""
    out: list[str] = []
    section = ""
    current: str | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            section, current = stripped, None
        elif section == "[source]" and re.match(r"^revision\s*=", stripped):
            line = f'revision = "{pins.revision}"\n'
        elif section == "[[source.files]]":
            if match := re.match(r'^path\s*=\s*"(.*)"', stripped):
                current = match.group(1)
            elif current in pins.files and re.match(r"^size\s*=", stripped):
                line = f"size = {pins.files[current][0]:_}\n"
            elif current in pins.files and re.match(r"^sha256\s*=", stripped):
                line = f'sha256 = "{pins.files[current][1]}"\n'
        out.append(line)
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    prog = "python -m engines.download.refresh_pins"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("cards", nargs="+", metavar="CARD", help="card ids (or paths to .toml files)")
    parser.add_argument("--revision", help="pin to this commit or branch instead of the card's revision")
    parser.add_argument("--latest", action="store_true", help="pin to what the main branch holds now")
    parser.add_argument("--dir", type=Path, help="the cards folder (default: the shipped catalog)")
    args = parser.parse_args(argv)
    settings = load_settings()
    endpoint = hub_endpoint(settings)
    check_transport(endpoint, allow_http=http_allowed(settings))
    folder = args.dir or builtin_cards_dir()
    status = 0
    for ref in args.cards:
        path = Path(ref) if ref.endswith(".toml") else folder / f"{ref}.toml"
        try:
            card = load_card(path)
            revision = "main" if args.latest else (args.revision or card.source.revision)
            pins = fetch_pins(card.source.repo, [f.path for f in card.source.files], revision, endpoint)
            text = path.read_text(encoding="utf-8")
            updated = rewrite(text, pins)
            path.write_text(updated, encoding="utf-8")
            load_card(path)  # still a valid card
        except (CandeiaError, OSError) as exc:
            print(f"{ref}: {exc}", file=sys.stderr)
            status = 1
            continue
        changes = sum(a != b for a, b in zip(text.splitlines(), updated.splitlines(), strict=False))
        print(f"{card.id}: {card.source.repo}@{pins.revision}, {len(pins.files)} file(s), {changes} line(s) changed")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
