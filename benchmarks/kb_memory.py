"""Knowledge-base indexing memory: the indexer's peak memory must not grow with the amount of text.

Folders of 1 MB text files (paragraphs of the evaluation corpus, cycled) of growing total size are
indexed, each into a fresh knowledge base in its own child process, with a tiny random BERT encoder
(tests/tiny_encoders.py: the model's own memory is constant and small, so what grows is the
indexer's). The figure is the child's peak RSS (VmHWM) over its RSS just before `add()`: bounded
memory means the same figure at every size (files are streamed and committed one at a time, never
all held in memory).

    .venv/bin/python benchmarks/kb_memory.py [--sizes 2 8 32] [--work DIR]

Needs the `dev` extra (torch and optimum build the tiny encoder once). Prints a Markdown table and
writes JSON to bench-results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.report import (  # noqa: E402
    RESULTS_DIR,
    load_average,
    machine,
    markdown_table,
    peak_rss_bytes,
    rss_bytes,
)

FILE_BYTES = 1_000_000


def write_corpus(folder: Path, megabytes: int) -> None:
    from benchmarks.kb_speed import passages

    folder.mkdir(parents=True, exist_ok=True)
    paragraphs = passages(400)
    for number in range(megabytes):
        parts, size, i = [], 0, number
        while size < FILE_BYTES:
            text = f"{paragraphs[i % len(paragraphs)]} (file {number}, paragraph {i})"
            parts.append(text)
            size += len(text) + 2
            i += 7
        (folder / f"part-{number:03d}.txt").write_text("\n\n".join(parts), encoding="utf-8")






def worker(encoder: Path, corpus: Path, home: Path) -> dict[str, Any]:
    os.environ["CANDEIA_HOME"] = str(home)
    from engines.kb.api import create_kb

    kb = create_kb("memory", embed_model=str(encoder))
    kb.search("warm up the encoder", k=1, mode="vector")
    before = rss_bytes()
    started = time.perf_counter()
    report = kb.add([corpus])
    seconds = time.perf_counter() - started
    kb.close()
    return {"files": len(report.files), "chunks": report.chunks, "seconds": seconds,
            "peak_over_start_mb": (peak_rss_bytes() - before) / 1e6, "start_rss_mb": before / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 8, 32], help="corpus sizes in MB")
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "kb-models")
    parser.add_argument("--worker", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    from tiny_encoders import cached_encoder

    args.work.mkdir(parents=True, exist_ok=True)
    encoder = cached_encoder(args.work)
    before = load_average()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kb-memory-") as scratch:
        for size in args.sizes:
            corpus = Path(scratch) / f"corpus-{size}"
            write_corpus(corpus, size)
            command = [sys.executable, __file__, "--worker", str(encoder), str(corpus), str(Path(scratch) / f"h{size}")]
            done = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                                  env=dict(os.environ, CANDEIA_OFFLINE="1"))
            if done.returncode != 0:
                raise SystemExit(done.stderr.strip().splitlines()[-1])
            results.append({"megabytes": size, **json.loads(done.stdout.strip().splitlines()[-1])})
    print(f"tiny random BERT encoder; load average {before} before, {load_average()} after\n")
    print(markdown_table(["text (MB)", "files", "passages", "seconds", "peak MB over start"],
                         [[r["megabytes"], r["files"], r["chunks"], r["seconds"], r["peak_over_start_mb"]]
                          for r in results]))
    out = RESULTS_DIR / f"kb-memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "results": results}, indent=2), encoding="utf-8")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
