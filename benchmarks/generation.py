"""Generation speed: Candeia's engine path against raw llama-cpp-python and llama.cpp's llama-bench.

    python -m benchmarks.generation --model path/to/model.gguf [--threads 2] [--rounds 9]
                                    [--repetitions 3] [--llama-bench path/to/llama-bench]

Measured like llama-bench measures: pp512 is one 512-token prompt evaluated from an empty context;
tg128 is 128 tokens generated one at a time from an empty context (a one-token prompt), greedy.
Every path first runs a full-size prompt and a few tokens as a warm-up, as llama-bench does before
its measured runs. Rounds are interleaved (llama-bench, raw, Candeia, llama-bench, ...) so load from
other processes hits all three alike. Each path runs in a process of its own (llama-bench and raw
llama-cpp-python in child processes, Candeia's engine here), loads the model afresh every round, as
llama-bench does, and measures each test `--repetitions` times per load (llama-bench's `-r`); a
round's value is the mean of its repetitions.

The table shows each path's median round and its best, and compares Candeia with llama-bench by the
ratio of the means over all rounds with a 95 % bootstrap interval (`stats.py`: single samples scatter
by about ±5 % here, so medians of a few rounds jump from run to run), and by the median of the
per-round ratios.

All paths use the same context settings as llama-bench's defaults: 2048-token batches split into
512-token micro-batches, flash attention on, the same threads. Raw llama-cpp-python is its
high-level API as an application would use it: `Llama.eval` for the prompt, `Llama.generate` for
decoding and `create_completion(stream=True)` for time to first token.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engines.gguf.info import read_gguf
from engines.host.chat import HostedChatEngine
from engines.llama import Finished, LoadOptions, SamplingOptions, TextDelta

from .report import existing_file, load_average, publish
from .stats import paired_ratio, ratio_of_means

PP_TOKENS = 512
TG_TOKENS = 128
BATCH = 2048
MICRO_BATCH = 512
ROOT = Path(__file__).resolve().parents[1]
CHILD_EXIT_TIMEOUT_S = 30
TTFT_PROMPT = (
    "You are a helpful assistant running on a laptop without a network connection. "
    "Answer the question below briefly and precisely, in plain language.\n\n"
    "Question: why does the sky look blue during the day but red at sunset?\nAnswer:"
)


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
    """Tokens per second from the first sampled token to the last, as Candeia's stats count."""
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


def raw_ttft(llm: Any, prompt: str) -> float:
    llm.reset()
    started = time.perf_counter()
    for _chunk in llm.create_completion(prompt, max_tokens=8, temperature=0.0, stream=True):
        return (time.perf_counter() - started) * 1000
    raise RuntimeError("llama-cpp-python produced no token")


def llama_bench(binary: Path, model: Path, threads: int, repetitions: int,
                libs: Path | None = None) -> dict[str, list[float]]:
    """One run of llama.cpp's llama-bench: its samples of pp512 and tg128 (`repetitions` each, after its
    warm-up), in tokens/s.

    With `libs`, llama-bench runs on the llama.cpp libraries in that folder (llama-cpp-python's own,
    found first through LD_LIBRARY_PATH): the same binary, so a difference is the build's, not Python's.
    """
    command = [str(binary), "-m", str(model), "-t", str(threads), "-p", str(PP_TOKENS), "-n", str(TG_TOKENS),
               "-b", str(BATCH), "-ub", str(MICRO_BATCH), "-r", str(repetitions), "-o", "json"]
    env = dict(os.environ)
    if libs is not None:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [str(libs), env.get("LD_LIBRARY_PATH")]))
    out = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True, env=env).stdout
    speeds: dict[str, list[float]] = {}
    for entry in json.loads(out):
        key = "pp" if entry.get("n_prompt") == PP_TOKENS and entry.get("n_gen") == 0 else "tg"
        speeds[key] = [float(x) for x in entry.get("samples_ts") or [entry["avg_ts"]]]
    return speeds


def candeia_run(engine: HostedChatEngine, prompt: list[int], max_tokens: int) -> tuple[Finished, float]:
    """The reply, and the seconds from the call to its first event as the app receives it (through the
    engine host's channel: the prompt's evaluation plus one token, as llama-bench's pp adds none)."""
    engine.reset_cache()  # no prompt-cache reuse between runs, as for the raw path
    sampling = SamplingOptions(temperature=0.0, repeat_penalty=1.0, max_tokens=max_tokens, ignore_eos=True)
    final = None
    first = 0.0
    started = time.perf_counter()
    for event in engine.stream_completion(prompt, sampling):
        first = first or time.perf_counter() - started
        if isinstance(event, Finished):
            final = event
    assert final is not None
    return final, first


def open_hosted(model: Path, options: LoadOptions) -> HostedChatEngine:
    """Candeia's path: the model in an engine host, as the app and the CLI run it."""
    return HostedChatEngine(read_gguf(model), options, probe=False)


def candeia_ttft(engine: HostedChatEngine, prompt: str) -> float:
    """From the call to the first text the consumer receives (tokenizing included, as for raw)."""
    engine.reset_cache()
    sampling = SamplingOptions(temperature=0.0, repeat_penalty=1.0, max_tokens=8, ignore_eos=True)
    started = time.perf_counter()
    stream = engine.stream_completion(prompt, sampling)
    ttft = 0.0
    for event in stream:
        if isinstance(event, TextDelta) and not ttft:
            ttft = (time.perf_counter() - started) * 1000
    return ttft


class RawProcess:
    """Raw llama-cpp-python in a child process of its own, driven one command per line.

    Each path gets a process to itself, as in an application: a second model (its weights
    repacked for the CPU, its context and buffers) in the engine's process took up to a tenth off
    the engine's decode speed, which would measure the neighbour rather than the path.
    """

    def __init__(self, model: Path, threads: int, context: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.generation", "--raw-child", "--model", str(model),
             "--threads", str(threads), "--context", str(context)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        header = json.loads(self._line())
        self.n_vocab: int = header["n_vocab"]
        self.bos: int = header["bos"]
        self.load_ms: float = header["load_ms"]

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the raw llama-cpp-python process ended (status {self.process.poll()})")
        return line

    def ask(self, command: dict[str, Any]) -> list[float]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return [float(x) for x in json.loads(self._line())]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(CHILD_EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def raw_child(model: Path, threads: int, context: int) -> int:
    """The child side of RawProcess: load, report, then answer pp/tg/ttft commands (each measured
    `reps` times) until stdin closes."""
    from engines.llama.native import llama_cpp_module

    llama_cpp = llama_cpp_module()

    def load() -> Any:
        return llama_cpp.Llama(model_path=str(model), n_ctx=context, n_batch=BATCH, n_ubatch=MICRO_BATCH,
                               flash_attn=True, n_threads=threads, n_threads_batch=threads, verbose=False)

    load().close()  # the timed load pays for neither llama.cpp's one-time set-up nor a cold page cache
    started = time.perf_counter()
    llm = load()
    load_ms = (time.perf_counter() - started) * 1000
    bos = llm.token_bos()
    print(json.dumps({"n_vocab": llm.n_vocab(), "bos": bos if bos >= 0 else 300, "load_ms": load_ms}), flush=True)
    raw_pp(llm, random_prompt(llm.n_vocab(), PP_TOKENS, 0))  # warm-up: a full prompt, as llama-bench's
    for line in sys.stdin:
        command = json.loads(line)
        values = []
        for rep in range(command["reps"]):
            if command["test"] == "pp":
                values.append(raw_pp(llm, random_prompt(llm.n_vocab(), PP_TOKENS, command["seed"] + rep)))
            elif command["test"] == "tg":
                values.append(raw_tg(llm, [command["bos"]]))
            else:
                values.append(raw_ttft(llm, TTFT_PROMPT))
        print(json.dumps(values), flush=True)
    llm.close()
    return 0


def run(model: Path, threads: int, rounds: int, repetitions: int, bench_binary: Path | None) -> dict[str, Any]:
    """Interleaved rounds. Every round loads each path afresh, as each llama-bench run does: where
    llama.cpp's buffers land at load time moved a model's speed by up to 7 % for as long as it
    stayed loaded, so a model loaded once would carry one draw through every round."""
    from engines.llama.native import llama_cpp_module

    llama_cpp = llama_cpp_module()
    context = PP_TOKENS + TG_TOKENS + 64
    options = LoadOptions(context_size=context, threads=threads, batch_size=BATCH, micro_batch_size=MICRO_BATCH)
    open_hosted(model, options).close()  # a warm page cache, as raw has in its process
    keys = ["raw_pp", "candeia_pp", "raw_tg", "candeia_tg", "raw_ttft_ms", "candeia_ttft_ms",
            "bench_pp", "bench_tg", "bench_pylibs_pp", "bench_pylibs_tg", "raw_load_ms", "candeia_load_ms"]
    pylibs = Path(str(llama_cpp.__file__)).parent / "lib"
    samples: dict[str, list[list[float]]] = {k: [] for k in keys}  # per round, every repetition
    for rep in range(rounds):
        if bench_binary:
            speeds = llama_bench(bench_binary, model, threads, repetitions)
            samples["bench_pp"].append(speeds["pp"])
            samples["bench_tg"].append(speeds["tg"])
            if sys.platform.startswith("linux") and pylibs.is_dir():
                speeds = llama_bench(bench_binary, model, threads, repetitions, pylibs)
                samples["bench_pylibs_pp"].append(speeds["pp"])
                samples["bench_pylibs_tg"].append(speeds["tg"])
        raw = RawProcess(model, threads, context)
        try:
            samples["raw_load_ms"].append([raw.load_ms])
            samples["raw_pp"].append(raw.ask({"test": "pp", "seed": 100 + rep * repetitions, "reps": repetitions}))
            samples["raw_tg"].append(raw.ask({"test": "tg", "bos": raw.bos, "reps": repetitions}))
            samples["raw_ttft_ms"].append(raw.ask({"test": "ttft", "reps": repetitions}))
        finally:
            raw.close()
        started = time.perf_counter()
        engine = open_hosted(model, options)  # the process's start and the load, as a user waits for them
        samples["candeia_load_ms"].append([(time.perf_counter() - started) * 1000])
        try:
            n_vocab = engine.info.vocab_size or raw.n_vocab
            # warm-up, as llama-bench's: a full-size prompt first touches the buffers a 512-token batch uses
            candeia_run(engine, random_prompt(n_vocab, PP_TOKENS, 1), 4)
            pp, tg, ttft = [], [], []
            for i in range(repetitions):
                final, first = candeia_run(engine, random_prompt(n_vocab, PP_TOKENS, 100 + rep * repetitions + i), 1)
                pp.append(final.stats.evaluated_prompt_tokens / first)
            for _ in range(repetitions):
                stats = candeia_run(engine, [raw.bos], TG_TOKENS)[0].stats
                assert stats.generated_tokens == TG_TOKENS, stats
                tg.append(stats.tokens_per_s)
            for _ in range(repetitions):
                ttft.append(candeia_ttft(engine, TTFT_PROMPT))
            samples["candeia_pp"].append(pp)
            samples["candeia_tg"].append(tg)
            samples["candeia_ttft_ms"].append(ttft)
        finally:
            engine.close()
    samples = {k: v for k, v in samples.items() if v}
    runs = {k: [statistics.fmean(r) for r in v] for k, v in samples.items()}  # one value per round
    median = {k: statistics.median(v) for k, v in runs.items()}
    best = {k: (min(v) if k.endswith("_ms") else max(v)) for k, v in runs.items()}
    return {
        "model": str(model), "threads": threads, "rounds": rounds, "repetitions": repetitions,
        "llama_cpp_python": llama_cpp.__version__, "samples": samples, "runs": runs, "median": median, "best": best,
        "load_ms": {"raw": median["raw_load_ms"], "candeia": median["candeia_load_ms"]},
    }


def comparison(result: dict[str, Any], ours: str, theirs: str) -> str:
    """How `ours` compares with `theirs` (keys of result["runs"]): the ratio of means with its 95 %
    interval, the ratio of the medians (of the best rounds), and the median per-round ratio."""
    runs, med, best = result["runs"], result["median"], result["best"]
    means = ratio_of_means(runs[ours], runs[theirs])
    per_round = paired_ratio(runs[ours], runs[theirs])
    if means is None or per_round is None or not med[theirs] or not best[theirs]:
        return "-"  # a contender measured nothing (a zero speed): no ratio to give
    return (f"{means} mean; medians {med[ours] / med[theirs]:.3f} (best {best[ours] / best[theirs]:.3f}); "
            f"per round {per_round:.3f}")


def rows(result: dict[str, Any]) -> list[list[Any]]:
    """Table rows: metric, Candeia, raw llama-cpp-python, llama-bench, Candeia / llama-bench, target."""
    med, best = result["median"], result["best"]
    out: list[list[Any]] = []
    for key, label in (("pp", "pp512 (tokens/s)"), ("tg", "tg128 (tokens/s)")):
        has_bench = f"bench_{key}" in med
        out.append([
            f"{label}, median (best) round",
            f"{med[f'candeia_{key}']:.1f} ({best[f'candeia_{key}']:.1f})",
            f"{med[f'raw_{key}']:.1f} ({best[f'raw_{key}']:.1f})",
            f"{med[f'bench_{key}']:.1f} ({best[f'bench_{key}']:.1f})" if has_bench else "-",
            comparison(result, f"candeia_{key}", f"bench_{key}") if has_bench else "-",
            ">= 0.97 of llama-bench (ratio of means)",
        ])
        if f"bench_pylibs_{key}" in med:
            out[-1][3] += (f"; on llama-cpp-python's libraries {med[f'bench_pylibs_{key}']:.1f} "
                           f"({best[f'bench_pylibs_{key}']:.1f})")
            out[-1][4] += f"; same libraries {comparison(result, f'candeia_{key}', f'bench_pylibs_{key}')}"
    delta = med["candeia_ttft_ms"] - med["raw_ttft_ms"]
    out.append(["time to first token (ms), median", f"{med['candeia_ttft_ms']:.1f}", f"{med['raw_ttft_ms']:.1f}",
                "-", f"{delta:+.1f} ms vs raw", "<= raw + 15 ms"])
    load = result["load_ms"]
    out.append(["load (ms), median of the rounds", f"{load['candeia']:.0f}", f"{load['raw']:.0f}", "-", "-", "-"])
    return out


HEADERS = ["generation", "Candeia", "raw llama-cpp-python", "llama-bench", "Candeia / llama-bench", "target"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=existing_file)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repetitions", type=int, default=3, help="measurements of each test per load")
    parser.add_argument("--json", type=Path, help="where to write the JSON (default bench-results/)")
    parser.add_argument("--llama-bench", type=existing_file,
                        help="path to llama.cpp's llama-bench, to compare against it too")
    parser.add_argument("--raw-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--context", type=int, default=PP_TOKENS + TG_TOKENS + 64, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repetitions < 1:
        parser.error("--rounds and --repetitions must be at least 1")
    if args.raw_child:
        return raw_child(args.model, args.threads, args.context)
    before = load_average()
    result = run(args.model, args.threads, args.rounds, args.repetitions, args.llama_bench)
    result["load_average"] = {"before": before, "after": load_average()}
    headline = (f"model: {args.model.name}, threads: {args.threads}, {args.rounds} interleaved rounds of "
                f"{args.repetitions} repetitions, llama-cpp-python {result['llama_cpp_python']}, "
                f"load average {before} -> {result['load_average']['after']}")
    return publish("generation", headline, HEADERS, rows(result), result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
