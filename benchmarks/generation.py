"""Generation speed: Candeia's engine path against raw llama-cpp-python, same GGUF, same threads.

    python -m benchmarks.generation --model path/to/model.gguf [--threads 2] [--repeats 3]

Both paths run in this one process on one loaded model file: prompt processing of 512 tokens
(pp512) and 128 generated tokens (tg128), best of N, interleaved so drift hits both alike.
Raw llama-cpp-python is `Llama.eval` for the prompt and `Llama.generate` for decoding, with
the same greedy sampler chain Candeia uses.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import time
from pathlib import Path
from typing import Any

from engines.llama import Finished, LlamaEngine, LoadOptions, SamplingOptions

from .report import markdown_table, write_json

PP_TOKENS = 512
TG_TOKENS = 128


def random_prompt(n_vocab: int, length: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    # Skip the first ids (control and byte tokens in most vocabularies).
    return [rng.randrange(300, n_vocab) for _ in range(length)]


def raw_pp(llm: Any, tokens: list[int]) -> float:
    llm.reset()
    started = time.perf_counter()
    llm.eval(tokens)
    return len(tokens) / (time.perf_counter() - started)


def raw_tg(llm: Any, prompt: list[int]) -> float:
    first = last = 0.0
    count = 0
    llm.reset()
    for _token in llm.generate(prompt, temp=0.0, repeat_penalty=1.0, reset=True):
        last = time.perf_counter()
        count += 1
        if count == 1:
            first = last
        if count == TG_TOKENS:
            break
    return (count - 1) / (last - first)


def llama_bench(binary: Path, model: Path, threads: int, repeats: int) -> dict[str, float]:
    """Run llama.cpp's own llama-bench (pp512, tg128) and return tokens/s for each test."""
    command = [str(binary), "-m", str(model), "-t", str(threads), "-p", str(PP_TOKENS), "-n", str(TG_TOKENS),
               "-r", str(repeats), "-o", "json"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True).stdout
    speeds: dict[str, float] = {}
    for entry in json.loads(out):
        key = "pp" if entry.get("n_prompt") == PP_TOKENS and entry.get("n_gen") == 0 else "tg"
        speeds[key] = float(entry["avg_ts"])
    return speeds


def candeia_run(engine: LlamaEngine, prompt: list[int], max_tokens: int) -> Finished:
    engine.reset_cache()  # no prompt-cache reuse between runs, as for the raw path
    sampling = SamplingOptions(temperature=0.0, repeat_penalty=1.0, max_tokens=max_tokens, ignore_eos=True)
    final = None
    for event in engine.stream_completion(prompt, sampling):
        if isinstance(event, Finished):
            final = event
    assert final is not None
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="where to write the JSON (default bench-results/)")
    parser.add_argument("--llama-bench", type=Path, help="path to llama.cpp's llama-bench, to compare against it too")
    args = parser.parse_args(argv)

    from engines.llama.native import llama_cpp_module

    llama_cpp = llama_cpp_module()
    context = PP_TOKENS + TG_TOKENS + 64
    options = LoadOptions(context_size=context, threads=args.threads, batch_size=PP_TOKENS)
    load_started = time.perf_counter()
    engine = LlamaEngine.load(args.model, options)
    candeia_load_ms = (time.perf_counter() - load_started) * 1000
    load_started = time.perf_counter()
    raw = llama_cpp.Llama(model_path=str(args.model), n_ctx=engine.context_size, n_batch=PP_TOKENS,
                          n_threads=args.threads, n_threads_batch=args.threads, verbose=False)
    raw_load_ms = (time.perf_counter() - load_started) * 1000
    n_vocab = raw.n_vocab()
    results: dict[str, list[float]] = {"raw_pp": [], "candeia_pp": [], "raw_tg": [], "candeia_tg": []}
    try:
        # Warm-up: page the weights in and let the CPU settle.
        raw_pp(raw, random_prompt(n_vocab, 64, 0))
        candeia_run(engine, random_prompt(n_vocab, 64, 1), 4)
        for rep in range(args.repeats):
            pp_prompt = random_prompt(n_vocab, PP_TOKENS, 100 + rep)
            tg_prompt = random_prompt(n_vocab, 8, 200 + rep)
            results["raw_pp"].append(raw_pp(raw, pp_prompt))
            pp = candeia_run(engine, pp_prompt, 1).stats
            results["candeia_pp"].append(pp.evaluated_prompt_tokens / (pp.ttft_ms / 1000))
            results["raw_tg"].append(raw_tg(raw, tg_prompt))
            tg = candeia_run(engine, tg_prompt, TG_TOKENS).stats
            assert tg.generated_tokens == TG_TOKENS, tg
            results["candeia_tg"].append(tg.tokens_per_s)
    finally:
        raw.close()
        engine.close()

    best = {k: max(v) for k, v in results.items()}
    bench = llama_bench(args.llama_bench, args.model, args.threads, args.repeats) if args.llama_bench else {}
    headers = ["test", "raw llama-cpp-python", "Candeia", "Candeia / raw"]
    rows: list[list[Any]] = [
        ["pp512 (tokens/s)", best["raw_pp"], best["candeia_pp"], best["candeia_pp"] / best["raw_pp"]],
        ["tg128 (tokens/s)", best["raw_tg"], best["candeia_tg"], best["candeia_tg"] / best["raw_tg"]],
        ["load (ms)", raw_load_ms, candeia_load_ms, candeia_load_ms / raw_load_ms],
    ]
    if bench:
        headers += ["llama-bench", "Candeia / llama-bench"]
        rows[0] += [bench["pp"], best["candeia_pp"] / bench["pp"]]
        rows[1] += [bench["tg"], best["candeia_tg"] / bench["tg"]]
        rows[2] += ["-", "-"]
    print(f"model: {args.model.name}, threads: {args.threads}, best of {args.repeats}, "
          f"llama-cpp-python {llama_cpp.__version__}")
    print(markdown_table(headers, rows))
    path = write_json("generation", {
        "model": str(args.model), "threads": args.threads, "repeats": args.repeats,
        "llama_cpp_python": llama_cpp.__version__, "runs": results, "best": best,
        "ratio": {"pp512": rows[0][3], "tg128": rows[1][3]},
        "llama_bench": bench,
        "ratio_to_llama_bench": {"pp512": best["candeia_pp"] / bench["pp"], "tg128": best["candeia_tg"] / bench["tg"]}
        if bench else {},
        "load_ms": {"raw": raw_load_ms, "candeia": candeia_load_ms},
    }, args.json)
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
