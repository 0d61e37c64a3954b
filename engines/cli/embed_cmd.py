"""`candeia-cli embed`: one vector per text, from an ONNX encoder folder or a GGUF embedding model."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engines.cli.args import model_command
from engines.errors import UsageError


def register(commands: Any) -> None:
    parser = model_command(
        commands, "embed", summary="turn texts into embedding vectors",
        description="Print one vector per TEXT ('-' reads one text per line from stdin): space-separated "
        "numbers, one line per text, or JSON with --json.",
        model_help="installed model id, ONNX encoder folder (sentence-transformers export) or .gguf file",
    )
    parser.add_argument("texts", nargs="+", metavar="TEXT")
    parser.add_argument("--json", action="store_true",
                        help='print {"model", "dimensions", "vectors": [[...], ...]}')
    parser.add_argument("--normalize", action="store_true", help="scale every vector to length 1")
    parser.add_argument("--threads", type=int)
    parser.set_defaults(handler=run)


def read_texts(values: list[str]) -> list[str]:
    if values == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
        if not texts:
            raise UsageError("no text was read from stdin")
        return texts
    return values


def run(args: argparse.Namespace) -> int:
    from engines.encoders.open import open_encoder
    from engines.encoders.pooling import normalize

    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be at least 1")
    texts = read_texts(args.texts)
    encoder = open_encoder(args.model, threads=args.threads)
    try:
        vectors = encoder.embed(texts)
    finally:
        encoder.close()
    if args.normalize:
        vectors = normalize(vectors)
    if args.json:
        print(json.dumps({"model": encoder.name, "dimensions": int(vectors.shape[1]),
                          "vectors": [[round(float(x), 7) for x in row] for row in vectors]}))
    else:
        for row in vectors:
            print(" ".join(f"{float(x):.7g}" for x in row))
    return 0
