"""Translation speed and memory: Candeia's ONNX path against transformers, optimum and CTranslate2.

A MarianMT with opus-mt's real shape (d_model 512, 6+6 layers, 8 heads, FFN 2048, vocabulary 58101,
swish, scaled embeddings) and random weights is built once, exported with optimum, quantized with
ONNX Runtime (MatMul only, subgraphs included) and converted with CTranslate2. Each runner then
works in its own child process (so peak memory is its own): 16 sentences of 24 tokens, exactly 32
new tokens each (greedy, EOS banned until then), at batch 1 and batch 16, on N threads; tokens/s is
the median of 3 timed runs after one warm-up. Peak memory is the child's peak RSS minus its RSS
after imports and before loading the model.

    .venv/bin/python benchmarks/translate.py [--threads 2] [--work DIR]

Needs the `dev` and `bench` extras (torch, optimum, ctranslate2, psutil). Prints a Markdown table
and writes JSON to bench-results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.report import peak_rss_bytes, rss_bytes  # noqa: E402

VOCAB = 58101
SENTENCES = 16
SRC_LEN = 24
NEW_TOKENS = 32
RUNS = 3
RUNNERS = ["candeia-fp32-firstload", "candeia-fp32", "candeia-int8-firstload", "candeia-int8",
           "candeia-fp32-embedded", "candeia-int8-embedded", "candeia-fp32-ext", "candeia-int8-ext",
           "candeia-fp32-nospin", "candeia-int8-nospin",
           "transformers-fp32", "optimum-fp32", "optimum-int8",
           "ctranslate2-fp32", "ctranslate2-int8"]






def inputs() -> list[list[int]]:
    import numpy as np

    rng = np.random.default_rng(0)
    return [[*rng.integers(2, VOCAB - 2, SRC_LEN - 1).tolist(), 0] for _ in range(SENTENCES)]


def build(work: Path) -> dict[str, Path]:
    from tiny_seq2seq import build_marian

    paths = {"ckpt": work / "marian-ckpt", "onnx": work / "marian-onnx", "onnx8": work / "marian-onnx-int8",
             "ct2": work / "ct2-fp32", "ct2_8": work / "ct2-int8",
             "onnx_ext": work / "marian-onnx-ext", "onnx8_ext": work / "marian-onnx-int8-ext"}
    if (work / ".built").exists() and not paths["onnx_ext"].exists():  # built by an older version
        import shutil

        from engines.convert.checkpoint import externalize_weights

        for key in ("onnx", "onnx8"):
            shutil.copytree(paths[key], paths[f"{key}_ext"])
            externalize_weights(paths[f"{key}_ext"])
    if not (work / ".built").exists():
        import shutil

        started = time.perf_counter()
        build_marian(work, d_model=512, layers=6, heads=8, ffn_dim=2048, vocab_size=VOCAB, max_positions=512,
                     eos_bias=0.0, init_std=0.02, generation={"num_beams": 1, "max_length": 512})
        for extra in ("decoder_model.onnx", "decoder_with_past_model.onnx"):
            (paths["onnx"] / extra).unlink(missing_ok=True)
        shutil.copytree(paths["onnx"], paths["onnx8"])
        from engines.convert.checkpoint import quantize_int8

        quantize_int8(paths["onnx8"])
        for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):
            (paths["onnx8"] / name).unlink()
        import ctranslate2

        for key, quant in (("ct2", None), ("ct2_8", "int8")):
            ctranslate2.converters.TransformersConverter(str(paths["ckpt"])).convert(
                str(paths[key]), quantization=quant, force=True)
        from engines.convert.checkpoint import externalize_weights

        for key in ("onnx", "onnx8"):  # what `models convert` writes: weights beside the graphs, mmapped
            shutil.copytree(paths[key], paths[f"{key}_ext"])
            externalize_weights(paths[f"{key}_ext"])
        (work / ".built").write_text("ok")
        print(f"built models in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return paths


def _size(folder: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern) if p.is_file())


def _time(fn: Any) -> float:
    fn()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def setup(name: str, paths: dict[str, Path], threads: int) -> tuple[Any, int, int, float]:
    """Load one runner: returns (run(rows), model file bytes, RSS before loading, seconds to load)."""
    import numpy as np

    kind, precision, *flags = name.split("-")
    spin = False if "nospin" in flags else None
    if kind == "candeia":
        import engines.onnx.session
        from engines.onnx.derived import remove_derived
        from engines.paths import cache_dir
        from engines.seq2seq.greedy import greedy
        from engines.seq2seq.settings import read_generation_settings
        from engines.translate.folder import locate_seq2seq
        from engines.translate.onnx_model import OnnxSeq2Seq

        folder = paths[("onnx8" if precision == "int8" else "onnx") + ("_ext" if "ext" in flags else "")]
        threshold = engines.onnx.session.EMBEDDED_MIN_BYTES
        if "embedded" in flags:  # before the external-weights copy: ONNX Runtime parses the weights out of the file
            engines.onnx.session.EMBEDDED_MIN_BYTES = 1 << 62
        if "firstload" in flags:  # this load writes the copy (later ones reuse it)
            remove_derived(folder, cache_dir())
        base = rss_bytes()
        started = time.perf_counter()
        files = locate_seq2seq(folder, "int8" if precision == "int8" else "fp32")
        model = OnnxSeq2Seq(files, threads, spin=spin)
        load_s = time.perf_counter() - started
        engines.onnx.session.EMBEDDED_MIN_BYTES = threshold  # --interleaved loads other runners after this one
        settings = read_generation_settings(files.config, files.generation, folder).with_options(
            max_new_tokens=NEW_TOKENS, min_length=NEW_TOKENS + 1)
        model_bytes = sum(p.stat().st_size + (p.with_name(p.name + "_data").stat().st_size
                                              if p.with_name(p.name + "_data").exists() else 0) for p in files.graphs)

        def run(rows: list[list[int]]) -> Any:
            ids = np.array(rows, dtype=np.int64)
            state = model.state(ids, np.ones_like(ids), 1)
            try:
                out = [row[1:] for row in greedy(state.step, len(rows), settings)]
            finally:
                state.release()
            assert all(len(r) == NEW_TOKENS for r in out), [len(r) for r in out]
            return out
    elif kind in ("transformers", "optimum"):
        import torch

        torch.set_num_threads(threads)
        base = rss_bytes()
        started = time.perf_counter()
        if kind == "transformers":
            from transformers import MarianMTModel

            model = MarianMTModel.from_pretrained(paths["ckpt"]).eval()
            model_bytes = _size(paths["ckpt"], "*.safetensors")
        else:
            import onnxruntime as ort
            from optimum.onnxruntime import ORTModelForSeq2SeqLM

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            folder = paths["onnx"]
            if precision == "int8":  # optimum wants the standard names for a merged decoder
                folder = paths["onnx8"].with_name("marian-onnx-int8-optimum")
                folder.mkdir(exist_ok=True)
                for item in paths["onnx8"].iterdir():
                    link = folder / item.name.replace("_quantized", "")
                    if not link.exists():
                        link.symlink_to(item)
            model = ORTModelForSeq2SeqLM.from_pretrained(folder, session_options=options, use_merged=True)
            model_bytes = sum(p.resolve().stat().st_size for p in folder.glob("*.onnx"))
        load_s = time.perf_counter() - started

        def run(rows: list[list[int]]) -> Any:
            ids = torch.tensor(rows)
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=1,
                                     do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS)
            assert out.shape[1] == NEW_TOKENS + 1, out.shape
            return out
    elif kind == "ctranslate2":
        import ctranslate2

        folder = paths["ct2_8" if precision == "int8" else "ct2"]
        base = rss_bytes()
        started = time.perf_counter()
        model = ctranslate2.Translator(str(folder), device="cpu", compute_type="int8" if precision == "int8" else
                                       "float32", intra_threads=threads, inter_threads=1)
        load_s = time.perf_counter() - started
        model_bytes = _size(folder, "model.bin")
        vocab = json.loads((folder / "shared_vocabulary.json").read_text(encoding="utf-8"))

        def run(rows: list[list[int]]) -> Any:
            tokens = [[vocab[i] for i in row] for row in rows]
            out = model.translate_batch(tokens, beam_size=1, max_decoding_length=NEW_TOKENS,
                                        min_decoding_length=NEW_TOKENS, max_batch_size=len(rows))
            assert all(len(r.hypotheses[0]) >= NEW_TOKENS - 1 for r in out)
            return out
    else:
        raise SystemExit(f"unknown runner {name}")
    return run, model_bytes, base, load_s


def worker(name: str, paths: dict[str, Path], threads: int) -> dict[str, Any]:
    batch = inputs()
    run, model_bytes, base, load_s = setup(name, paths, threads)
    t1 = _time(lambda: run(batch[:1]))
    t16 = _time(lambda: run(batch))
    return {
        "runner": name,
        "tok_s_batch1": NEW_TOKENS / t1,
        "tok_s_batch16": SENTENCES * NEW_TOKENS / t16,
        "peak_mib": (peak_rss_bytes() - base) / 2**20,
        "model_mib": model_bytes / 2**20,
        "load_s": load_s,
    }


def interleaved(names: list[str], paths: dict[str, Path], threads: int, rounds: int = 5) -> int:
    batch = inputs()
    runs = {name: setup(name, paths, threads)[0] for name in names}
    times: dict[tuple[str, int], list[float]] = {(n, b): [] for n in names for b in (1, 16)}
    for round_ in range(rounds + 1):
        for size in (1, 16):
            for name in names:
                started = time.perf_counter()
                runs[name](batch[:size])
                if round_:  # the first round warms up
                    times[(name, size)].append(time.perf_counter() - started)
    print(f"\nInterleaved, {threads} threads, median of {rounds} alternating rounds\n")
    print("| runner | tok/s batch 1 | tok/s batch 16 |")
    print("|---|---:|---:|")
    results = []
    for name in names:
        t1, t16 = statistics.median(times[(name, 1)]), statistics.median(times[(name, 16)])
        results.append({"runner": name, "tok_s_batch1": NEW_TOKENS / t1, "tok_s_batch16": SENTENCES * NEW_TOKENS / t16})
        print(f"| {name} | {NEW_TOKENS / t1:.0f} | {SENTENCES * NEW_TOKENS / t16:.0f} |")
    out = ROOT / "bench-results" / f"translate-interleaved-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"threads": threads, "results": results}, indent=2), encoding="utf-8")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=ROOT / "bench-results" / "translate-models")
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds for --interleaved")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--interleaved", action="store_true",
                        help="load the runners in one process and alternate their runs (fair ratios on a busy "
                             "machine; no memory figures)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # derived copies (external weights) go to a data folder of the benchmark's own, never the user's
    os.environ.setdefault("CANDEIA_HOME", str(args.work / "home"))
    paths = build(args.work)
    if args.worker:
        print(json.dumps(worker(args.worker, paths, args.threads)))
        return 0
    if args.interleaved:
        return interleaved(args.runners.split(","), paths, args.threads, args.rounds)
    results = []
    for name in args.runners.split(","):
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", name, "--threads", str(args.threads), "--work", str(args.work)],
            capture_output=True, text=True, timeout=1800, env=env, check=False)
        if proc.returncode != 0:
            print(f"{name} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"{name}: {results[-1]}", file=sys.stderr)
    print(f"\nMarian at opus-mt's shape, random weights, {SENTENCES}×{SRC_LEN} source tokens, {NEW_TOKENS} new "
          f"tokens each, greedy, {args.threads} threads, median of {RUNS}\n")
    print("| runner | tok/s batch 1 | tok/s batch 16 | peak MiB above baseline | model files MiB | peak / files "
          "| load s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['runner']} | {r['tok_s_batch1']:.0f} | {r['tok_s_batch16']:.0f} | {r['peak_mib']:.0f} | "
              f"{r['model_mib']:.0f} | {r['peak_mib'] / r['model_mib']:.2f} | {r['load_s']:.1f} |")
    out = ROOT / "bench-results" / f"translate-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(), "threads": args.threads,
                               "results": results}, indent=2), encoding="utf-8")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
