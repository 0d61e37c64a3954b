"""`candeia-cli models download|verify|catalog`: the catalog and getting models from a hub."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..cards import ModelCard, load_catalog
from ..download import Downloader, DownloadProgress, DownloadRequest, looks_like_hub_ref, request_for_hub_file
from ..errors import CandeiaError, ModelNotFoundError, UsageError
from ..fit import FitEstimate, ModelShape, approximate_size, estimate
from ..settings import load_settings
from ..store import InstalledModel, ModelFormat, ModelStore


class VerifyError(CandeiaError):
    """A file does not hash to what was recorded."""


def size_text(num: float | None) -> str:
    if num is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if num < 1000 or unit == "GB":
            return f"{num:.0f} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num /= 1000
    return f"{num:.1f} GB"


def register(actions: Any) -> None:
    catalog = actions.add_parser("catalog", help="models Candeia knows how to download, with a fit estimate")
    catalog.add_argument("--task", choices=["chat", "translate", "caption", "embed"])
    catalog.add_argument("--ctx", type=int, help="context size for the fit estimate (default: the setting)")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(handler=run_catalog)

    download = actions.add_parser(
        "download", help="download a catalog card (all its files) or one GGUF: hf.co/ORG/REPO/FILE.gguf"
    )
    download.add_argument("ref", metavar="CARD_ID|hf.co/REPO/FILE")
    download.add_argument("--id", dest="model_id", help="id for a hub file (default: from its name)")
    download.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    download.add_argument("--json", action="store_true", help="print the installed model as JSON")
    download.set_defaults(handler=run_download)

    verify = actions.add_parser("verify", help="re-hash an installed model's files against the recorded sha256")
    verify.add_argument("model_id")
    verify.set_defaults(handler=run_verify)


# -- catalog ----------------------------------------------------------------------------------
def card_fit(card: ModelCard, context: int, hardware: Any) -> FitEstimate | None:
    if card.engine != "llama.cpp":
        return None
    shape = ModelShape.from_card(card)
    return estimate(shape, context, hardware, load_settings().gpu_layers) if shape else None


def run_catalog(args: argparse.Namespace) -> int:
    from ..hardware import detect

    cards = [c for c in load_catalog() if args.task is None or args.task in c.tasks]
    context = args.ctx or load_settings().context_size
    hardware = detect()
    installed = {m.card_id for m in ModelStore().installed() if m.card_id}
    rows = []
    for card in cards:
        fit = card_fit(card, min(context, card.context_length or context), hardware)
        rows.append((card, fit))
    if args.json:
        print(json.dumps([
            {**card.model_dump(mode="json"), "size": card.size, "approximate_size": approximate_size(card),
             "installed": card.id in installed,
             "fit": fit.to_dict() if fit else None}
            for card, fit in rows
        ], ensure_ascii=False, indent=2))
        return 0
    width = max((len(c.id) for c in cards), default=2)
    print(f"{'id':<{width}}  {'tasks':<15}  {'size':>9}  {'fit':<9}  licence")
    for card, fit in rows:
        mark = "*" if card.id in installed else " "
        verdict = fit.verdict if fit else "-"
        approx = approximate_size(card)
        size = size_text(card.size) if card.size else ("~" + size_text(approx) if approx else "?")
        print(f"{card.id:<{width}}{mark} {','.join(card.tasks):<15}  {size:>9}  {verdict:<9}  {card.license}")
    print(f"\n* installed. Fit: weights + KV cache at {context} tokens + compute, against "
          f"{size_text(hardware.ram_available)} free RAM"
          + (f" / {size_text(hardware.best_gpu.memory_free)} free VRAM" if hardware.best_gpu else "")
          + ". ~ marks a size estimated from parameters and quantization.", file=sys.stderr)
    return 0


# -- download ---------------------------------------------------------------------------------
def request_for(ref: str, model_id: str | None) -> DownloadRequest:


    cards = {c.id: c for c in load_catalog()}
    if ref in cards:
        return DownloadRequest.from_card(cards[ref])
    if looks_like_hub_ref(ref):
        return request_for_hub_file(ref, model_id)
    close = [c for c in cards if ref.lower() in c]
    hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see 'candeia-cli models catalog')"
    raise UsageError(f"'{ref}' is neither a catalog card nor a hub file like hf.co/ORG/REPO/FILE.gguf{hint}")


class ProgressBar:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.drawn = False

    def __call__(self, event: DownloadProgress) -> None:
        if not self.enabled:
            return
        total = event.total
        share = event.done / total if total else 0.0
        bar = "#" * int(share * 24)
        eta = f"{int(event.eta) // 60:d}:{int(event.eta) % 60:02d}" if event.eta is not None else "--:--"
        line = (f"\r{event.model_id} [{bar:<24}] {share * 100:5.1f}%  {size_text(event.done)}/{size_text(total)}  "
                f"{size_text(event.speed)}/s  ETA {eta} ")
        sys.stderr.write(line)
        sys.stderr.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run_download(args: argparse.Namespace) -> int:
    from .main import EXIT_INTERRUPTED

    request = request_for(args.ref, args.model_id)
    bar = ProgressBar(sys.stderr.isatty() and not args.quiet)
    downloader = Downloader()
    started = time.monotonic()
    try:
        model = downloader.run(request, on_progress=bar)
    except KeyboardInterrupt:
        bar.end()
        print(f"candeia-cli: interrupted; run 'candeia-cli models download {args.ref}' again to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        bar.end()
    elapsed = time.monotonic() - started
    if args.json:
        print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False))
    else:
        print(f"installed {model.id} ({size_text(model.size)} in {elapsed:.1f} s, sha256 verified): {model.path}")
    return 0


# -- verify ------------------------------------------------------------------------------------
def _model_folder(model: InstalledModel) -> Path:
    path = Path(model.path)
    return path if model.format is ModelFormat.onnx else path.parent


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()


def run_verify(args: argparse.Namespace) -> int:
    store = ModelStore()
    model = store.get(args.model_id)
    folder = _model_folder(model)
    recorded = dict(model.file_hashes)
    if not recorded and model.sha256 and model.format is ModelFormat.gguf:
        recorded = {Path(model.path).name: model.sha256}
    if not recorded:
        if model.format is not ModelFormat.gguf:
            raise VerifyError(f"'{model.id}' has no recorded checksums to verify against")
        digest = _hash_file(Path(model.path))
        store.update(model.id, sha256=digest)
        print(f"{model.id}: no checksum was recorded; recorded sha256 {digest} for later checks")
        return 0
    for rel, expected in recorded.items():
        path = folder.joinpath(*rel.split("/"))
        if not path.is_file():
            raise ModelNotFoundError(f"{path} is missing; download the model again")
        actual = _hash_file(path)
        if actual != expected:
            raise VerifyError(f"{path} does not match its recorded sha256 (the file changed or is damaged)")
        print(f"ok  {rel}  {actual}")
    print(f"{model.id}: all {len(recorded)} file(s) match their recorded sha256")
    return 0
