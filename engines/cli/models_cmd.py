"""`candeia-cli models list|add|remove`: the local model store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engines.cli import download_cmd, remote_cmd
from engines.cli.output import print_model
from engines.errors import UsageError
from engines.store.model_store import ModelStore
from engines.store.remotes import RemoteStore
from engines.system.sizes import human_size


def register(commands: Any) -> None:
    parser = commands.add_parser("models", help="the catalog, downloads, and installed models")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser("list", help="installed models")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)

    add = actions.add_parser("add", help="register a .gguf file or an ONNX folder (linked in place)")
    add.add_argument("path")
    add.add_argument("--copy", action="store_true", help="copy into Candeia's data folder instead of linking")
    add.add_argument("--name", help="display name")
    add.add_argument("--id", dest="model_id", help="id to use instead of one made from the file name")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run_add)

    download_cmd.register(actions)
    remote_cmd.register(actions)

    scan = actions.add_parser("scan", help="find GGUF files and ONNX folders and register them linked in place")
    scan.add_argument("folders", nargs="*", type=Path, metavar="DIR")
    scan.add_argument("--known", action="store_true",
                      help="also scan where LM Studio, GPT4All, Jan, Ollama and the Hugging Face cache keep models")
    scan.add_argument("--dry-run", action="store_true", help="show what would be registered")
    scan.add_argument("--json", action="store_true")
    scan.set_defaults(handler=run_scan)

    convert = actions.add_parser(
        "convert", help="export a local transformers checkpoint (or a diffusers Stable Diffusion folder) to ONNX "
                        "and register it (needs the convert extra)")
    convert.add_argument("path", help="checkpoint folder (config.json + .safetensors + tokenizer files); "
                                      "for --task image a diffusers folder (model_index.json, unet/, ...)")
    convert.add_argument("--task", choices=["translate", "caption", "analysis", "image"], default="translate",
                         help="analysis: a classification, token-classification (NER) or question-answering model; "
                              "image: a Stable Diffusion pipeline (fp32, for the ONNX image engine)")
    convert.add_argument("--int8", action="store_true", help="also write int8 graphs (dynamic quantization)")
    convert.add_argument("--out", help="output folder (default: inside Candeia's data folder)")
    convert.add_argument("--id", dest="model_id", help="id to register it under")
    convert.add_argument("--json", action="store_true")
    convert.set_defaults(handler=run_convert)

    remove = actions.add_parser("remove", help="unregister a model (deleting files Candeia owns)")
    remove.add_argument("model_id")
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting owned files")
    remove.set_defaults(handler=run_remove)


def run_list(args: argparse.Namespace) -> int:
    models = ModelStore().installed()
    remote = RemoteStore().models()
    if args.json:
        print(json.dumps([m.model_dump(mode="json") for m in models + remote], ensure_ascii=False, indent=2))
        return 0
    if not models and not remote:
        print("No models installed. Add one with: candeia-cli models add PATH", file=sys.stderr)
        return 0
    width = max(len(m.id) for m in models) if models else 0
    for m in models:
        where = "linked" if m.linked else "owned"
        print(f"{m.id:<{width}}  {m.format.value:<4}  {human_size(m.size):>9}  {where:<6}  {m.path}")
    for row in remote_cmd.remote_rows(remote):
        print(row)
    return 0


def run_add(args: argparse.Namespace) -> int:
    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and total:
            sys.stderr.write(f"\rcopying {done * 100 // total:3d}%")
            sys.stderr.flush()

    from engines.imagegen.onnx.folder import looks_like_onnx_image_folder

    if looks_like_onnx_image_folder(Path(args.path).expanduser()):
        from engines.imagegen.weights import read_image_model

        read_image_model(Path(args.path).expanduser())  # a damaged image folder is refused before it is listed
    model = ModelStore().add(args.path, copy=args.copy, name=args.name, model_id=args.model_id, progress=progress)
    if args.copy and sys.stderr.isatty():
        sys.stderr.write("\n")
    return print_model(model, args.json, f"added {model.id} ({'linked' if model.linked else 'copied'}: {model.path})")


def run_remove(args: argparse.Namespace) -> int:
    store = ModelStore()
    if not any(m.id == args.model_id for m in store.installed()) and remote_cmd.remove_remote(args.model_id):
        return 0
    model = store.get(args.model_id)
    if not model.linked and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"'{model.id}' owns its files ({model.path}); pass --yes to delete them")
        answer = input(f"Delete {model.path} ({human_size(model.size)})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("kept", file=sys.stderr)
            return 1
    store.remove(model.id)
    print(f"removed {model.id}" + ("" if not model.linked else " (the file itself was left in place)"))
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from engines.store.scan import existing_known_folders, scan

    folders = list(args.folders)
    for folder in folders:
        if not folder.expanduser().is_dir():
            raise UsageError(f"{folder} is not a folder")
    known = existing_known_folders()
    if args.known:
        folders += [k.path for k in known]
    if not folders:
        if not known:
            raise UsageError("name a folder to scan (no other app's model folder was found on this computer)")
        print("Other apps keep models here; scan them with 'candeia-cli models scan --known':", file=sys.stderr)
        for k in known:
            print(f"  {k.app}: {k.path}", file=sys.stderr)
        return 0
    report = scan(folders, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({
            "added": [m.model_dump(mode="json") for m in report.added],
            "already_registered": [m.id for m in report.known],
            "would_add": [str(c.path) for c in report.pending],
            "skipped": [{"path": str(p), "reason": r} for p, r in report.skipped],
        }, ensure_ascii=False, indent=2))
        return 0
    for model in report.added:
        print(f"added {model.id} ({model.format.value}, linked: {model.path})")
    for candidate in report.pending:
        print(f"would add {candidate.path} ({candidate.kind})")
    for model in report.known:
        print(f"already registered: {model.id}")
    for path, reason in report.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    total = len(report.added) + len(report.pending)
    print(f"{total} new model(s), {len(report.known)} already registered, {len(report.skipped)} skipped",
          file=sys.stderr)
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from engines.convert.checkpoint import convert_checkpoint

    def log(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr)

    model = convert_checkpoint(args.path, task=args.task, int8=args.int8, out=args.out, model_id=args.model_id,
                               log=log)
    if args.json:
        print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False))
    else:
        print(f"added {model.id} ({model.path})")
    return 0
