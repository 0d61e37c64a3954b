"""What each engine setting costs, on llama.cpp's C API directly (one process, interleaved rounds).

    python -m benchmarks.ablation --model path/to/model.gguf [--threads 2] [--rounds 5]

- pp512 with flash attention on (Candeia, llama-bench's "auto" on CPU) and off (llama-cpp-python's
  default), same context otherwise;
- tg128 decode-only (what llama-bench times), and with each way of picking the next token:
  argmax over the logits in place (Candeia's greedy path), llama.cpp's greedy sampler (builds a
  token array the size of the vocabulary every token), and Candeia's default chat sampler chain
  (repetition penalty, top-k 40, top-p 0.95, min-p 0.05, temperature 0.7).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engines.llama.decoder import NativeDecoder, Sampler
from engines.llama.sampling import SamplingOptions

from .report import existing_file, load_average, publish

PP_TOKENS = 512
TG_TOKENS = 128


def run(model: Path, threads: int, rounds: int) -> dict[str, Any]:
    from engines.llama.native import llama_cpp_module, native_context

    llama_cpp = llama_cpp_module()

    def load(flash: bool) -> Any:
        return llama_cpp.Llama(model_path=str(model), n_ctx=704, n_batch=2048, n_ubatch=512, flash_attn=flash,
                               n_threads=threads, n_threads_batch=threads, verbose=False)

    on, off = load(True), load(False)
    lib = llama_cpp
    prompt = [random.Random(1).randrange(300, on.n_vocab()) for _ in range(PP_TOKENS)]
    array = (lib.llama_token * PP_TOKENS)(*prompt)

    def pp(llm: Any) -> float:
        ctx = native_context(llm)
        lib.llama_memory_clear(lib.llama_get_memory(ctx), True)
        started = time.perf_counter()
        if lib.llama_decode(ctx, lib.llama_batch_get_one(array, PP_TOKENS)) != 0:
            raise RuntimeError("decode failed")
        return PP_TOKENS / (time.perf_counter() - started)

    decoder = NativeDecoder(on)
    samplers = {
        "argmax": Sampler(decoder, SamplingOptions(temperature=0.0, repeat_penalty=1.0), 0),
        "default": Sampler(decoder, SamplingOptions(), 1),
    }
    greedy = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    lib.llama_sampler_chain_add(greedy, lib.llama_sampler_init_greedy())
    ctx = native_context(on)

    def tg(pick: Callable[[int], int]) -> float:
        decoder.reset()
        one = (lib.llama_token * 1)()
        one[0] = max(0, on.token_bos())
        started = time.perf_counter()
        for i in range(TG_TOKENS):
            lib.llama_decode(ctx, lib.llama_batch_get_one(one, 1))
            one[0] = pick(i)
        return TG_TOKENS / (time.perf_counter() - started)

    tests: dict[str, Callable[[], float]] = {
        "pp512, flash attention on": lambda: pp(on),
        "pp512, flash attention off": lambda: pp(off),
        "tg128, decode only": lambda: tg(lambda i: 1000 + i),
        "tg128, argmax over the logits in place": lambda: tg(lambda i: decoder.sample(samplers["argmax"])),
        "tg128, llama.cpp greedy sampler": lambda: tg(lambda i: int(lib.llama_sampler_sample(greedy, ctx, -1))),
        "tg128, default chat sampler chain": lambda: tg(lambda i: decoder.sample(samplers["default"])),
    }
    runs: dict[str, list[float]] = {name: [] for name in tests}
    try:
        for test in tests.values():
            test()  # warm-up
        for _ in range(rounds):
            for name, test in tests.items():
                runs[name].append(test())
    finally:
        for sampler in samplers.values():
            sampler.close()
        lib.llama_sampler_free(greedy)
        on.close()
        off.close()
    return {"threads": threads, "rounds": rounds, "runs": runs,
            "median": {k: statistics.median(v) for k, v in runs.items()}, "best": {k: max(v) for k, v in runs.items()}}


def rows(result: dict[str, Any]) -> list[list[Any]]:
    med, best = result["median"], result["best"]
    decode = med["tg128, decode only"]
    out = []
    for name in result["runs"]:
        per_token = ""
        if name.startswith("tg128") and name != "tg128, decode only":
            per_token = f"{(1 / med[name] - 1 / decode) * 1000:+.2f} ms"
        out.append([name, f"{med[name]:.1f} ({best[name]:.1f})", per_token])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=existing_file)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    before = load_average()
    result = run(args.model, args.threads, args.rounds)
    result["load_average"] = {"before": before, "after": load_average()}
    headline = f"{args.rounds} interleaved rounds, {args.threads} threads, load average {before} -> {load_average()}"
    return publish("ablation", headline, ["test", "tokens/s, median (best)", "per token vs decode only"],
                   rows(result), result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
