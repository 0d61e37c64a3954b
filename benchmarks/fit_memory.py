"""The fit estimate against measured peak memory, for real GGUF models.

    python -m benchmarks.fit_memory --model a.gguf [--model b.gguf] [--ctx 2048 4096 8192] [--threads 2]

Each model and context runs in a fresh child process (the engine host's situation: Python,
llama-cpp-python and one model): it loads the model, evaluates a 660-token prompt (two 512-token
batches) and generates 16 tokens; the peak resident memory (ru_maxrss) is the measurement. The
estimate is engines.cards.fit's for the same GGUF and context, with all the RAM free. The numbers in
docs/catalog.md, and the check in tests/test_fit_estimate.py, come from this.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from .report import existing_file, markdown_table, write_json

PROBE = """
import resource, sys
import llama_cpp
path, ctx, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = llama_cpp.Llama(model_path=path, n_ctx=ctx, n_threads=threads, verbose=False)
llm("The history of the printing press " * 110, max_tokens=16, temperature=0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def measure(model: Path, context: int, threads: int) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, str(model), str(context), str(threads)],
                         capture_output=True, text=True, timeout=600, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def estimate_for(model: Path, context: int) -> dict[str, Any]:
    from engines.cards.fit import ModelShape, estimate
    from engines.gguf.info import read_gguf
    from engines.hardware.machine import Hardware

    shape = ModelShape.from_gguf(read_gguf(model))
    hardware = Hardware("bench", "x86_64", "cpu", 1, 1, [], 1 << 40, 1 << 40, [], [], False, None)
    fit = estimate(shape, context, hardware)
    return {"weights": fit.weights, "kv_cache": fit.kv_cache, "overhead": fit.overhead, "estimate": fit.needed,
            "layers": shape.layers, "kv_heads": shape.kv_heads, "head_dim": shape.head_dim_k}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fit_memory", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=existing_file, action="append", required=True)
    parser.add_argument("--ctx", type=int, nargs="+", default=[2048, 4096, 8192])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    for model in args.model:
        for context in args.ctx:
            est = estimate_for(model, context)
            peak = measure(model, context, args.threads)
            error = (est["estimate"] - peak) / peak
            results.append({"model": model.name, "file_size": model.stat().st_size, "context": context,
                            "peak": peak, **est, "error": error})
            rows.append([model.name, context, f"{peak / 2**20:.1f}", f"{est['estimate'] / 2**20:.1f}",
                         f"{error:+.1%}"])
    print(markdown_table(["model", "context", "measured peak MiB", "estimate MiB", "error"], rows))
    write_json("fit_memory", {"results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
