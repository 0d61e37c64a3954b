"""`candeia-cli models download|verify|catalog`: the catalog and getting models from a hub."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any

from engines.cards import ModelCard, load_catalog
from engines.cards.consent import badge, needs_consent, record_consent
from engines.cards.fit import FitEstimate, card_estimate
from engines.cli import EXIT_INTERRUPTED
from engines.cli.output import print_model
from engines.download import (
    DownloadControl,
    Downloader,
    DownloadPaused,
    DownloadProgress,
    DownloadRequest,
    looks_like_hub_ref,
    request_for_hub_file,
)
from engines.errors import UsageError
from engines.settings import load_settings
from engines.store.model_store import ModelStore
from engines.store.verify import verify_model
from engines.system.sizes import human_size


def register(actions: Any) -> None:
    catalog = actions.add_parser("catalog", help="models Candeia knows how to download, with a fit estimate")
    catalog.add_argument("--task", choices=["chat", "translate", "caption", "embed", "image"])
    catalog.add_argument("--ctx", type=int, help="context size for the fit estimate (default: the setting)")
    catalog.add_argument("--commercial", action="store_true",
                         help="only models whose licence allows commercial use (no conditions or restrictions)")
    catalog.add_argument("--language", help="only models that list this language (such as pt or en)")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(handler=run_catalog)

    download = actions.add_parser(
        "download", help="download a catalog card (all its files) or one GGUF: hf.co/ORG/REPO/FILE.gguf"
    )
    download.add_argument("ref", metavar="CARD_ID|hf.co/REPO/FILE")
    download.add_argument("--id", dest="model_id", help="id for a hub file (default: from its name)")
    download.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    download.add_argument("--json", action="store_true", help="print the installed model as JSON")
    download.add_argument("--accept-licence", action="store_true",
                          help="accept the terms of a non-commercial or gated model without asking")
    download.set_defaults(handler=run_download)

    verify = actions.add_parser("verify", help="re-hash an installed model's files against the recorded sha256")
    verify.add_argument("model_id")
    verify.set_defaults(handler=run_verify)


# -- catalog ----------------------------------------------------------------------------------
def card_fit(card: ModelCard, context: int, hardware: Any) -> FitEstimate:
    return card_estimate(card, context, hardware, load_settings().gpu_layers)


def run_catalog(args: argparse.Namespace) -> int:
    from engines.hardware.machine import detect

    if args.ctx is not None and args.ctx < 16:
        raise UsageError("--ctx must be at least 16")
    cards = [c for c in load_catalog() if (args.task is None or args.task in c.tasks)
             and (not args.commercial or c.licence.commercial_use == "yes")
             and (not args.language or c.speaks(args.language))]
    context = args.ctx or load_settings().context_size
    hardware = detect()
    installed = {m.card_id for m in ModelStore().installed() if m.card_id}
    rows = [(card, card_fit(card, context, hardware)) for card in cards]
    if args.json:
        print(json.dumps([
            {**card.model_dump(mode="json"), "size": card.size, "installed": card.id in installed,
             "licence_badge": badge(card), "fit": fit.to_dict()}
            for card, fit in rows
        ], ensure_ascii=False, indent=2))
        return 0
    width = max((len(c.id) for c in cards), default=2)
    print(f"{'id':<{width}}  {'tasks':<20}  {'size':>9}  {'RAM':>9}  {'VRAM':>9}  {'fit':<9}  licence")
    for card, fit in rows:
        mark = "*" if card.id in installed else " "
        verdict = fit.verdict + (f" (ctx {fit.suggested_context})" if fit.suggested_context else "")
        vram = human_size(fit.vram) if fit.vram else "-"
        print(f"{card.id:<{width}}{mark} {','.join(card.tasks):<20}  {human_size(card.size):>9}  "
              f"{human_size(fit.ram):>9}  {vram:>9}  {verdict:<9}  {card.licence.id} [{badge(card)}]")
    print(f"\n* installed. Fit: weights + KV cache at {context} tokens (or the model's limit) + compute, against "
          f"{human_size(hardware.ram_available)} free RAM"
          + (f" / {human_size(hardware.best_gpu.memory_free)} free VRAM" if hardware.best_gpu else "")
          + "; (ctx N) is a context that fits. Licence: open = commercial use allowed; conditions = read the "
          "terms; non-commercial = not for commercial use.", file=sys.stderr)
    return 0


def confirm_licence(card: ModelCard, accept: bool) -> None:
    """Ask once before the first download of a non-commercial or gated model (UsageError when refused)."""
    if not needs_consent(card):
        return
    terms = card.licence
    what = "is for non-commercial use only" if terms.commercial_use == "no" else "has terms to accept"
    if terms.gated:
        what += " (the hub also asks for your token and your acceptance on its page)"
    if not accept:
        print(f"{card.name} {what}: {terms.id}, {terms.url}", file=sys.stderr)
        if not sys.stdin.isatty():
            raise UsageError(f"'{card.id}' needs its licence accepted: read {terms.url} and run again with "
                             "--accept-licence")
        answer = input("Accept these terms and download? [y/N] ").strip().lower()
        if answer not in ("y", "yes", "s", "sim"):
            raise UsageError("download cancelled: the licence terms were not accepted")
    record_consent(card)


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
        line = (f"\r{event.model_id} [{bar:<24}] {share * 100:5.1f}%  {human_size(event.done)}/{human_size(total)}  "
                f"{human_size(event.speed)}/s  ETA {eta} ")
        sys.stderr.write(line)
        sys.stderr.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run_download(args: argparse.Namespace) -> int:
    request = request_for(args.ref, args.model_id)
    card = next((c for c in load_catalog() if c.id == request.card_id), None) if request.card_id else None
    if card is not None:
        confirm_licence(card, args.accept_licence)
    bar = ProgressBar(sys.stderr.isatty() and not args.quiet)
    downloader = Downloader()
    control = DownloadControl()

    def on_ctrl_c(signum: int, frame: object) -> None:
        # Stop at a safe point (the bytes received so far are written), like a pause; a second
        # Ctrl-C interrupts at once.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        control.pause()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    started = time.monotonic()
    try:
        model = downloader.run(request, control, on_progress=bar)
    except (DownloadPaused, KeyboardInterrupt):
        bar.end()
        print(f"candeia-cli: interrupted; run 'candeia-cli models download {args.ref}' again to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.end()
    elapsed = time.monotonic() - started
    line = f"installed {model.id} ({human_size(model.size)} in {elapsed:.1f} s, sha256 verified): {model.path}"
    return print_model(model, args.json, line)


# -- verify ------------------------------------------------------------------------------------
def run_verify(args: argparse.Namespace) -> int:
    result = verify_model(args.model_id)
    if result.recorded_now:
        digest = next(iter(result.checked.values()))
        print(f"{result.model.id}: no checksum was recorded; recorded sha256 {digest} for later checks")
        return 0
    for rel, digest in result.checked.items():
        print(f"ok  {rel}  {digest}")
    print(f"{result.model.id}: all {len(result.checked)} file(s) match their recorded sha256")
    return 0
