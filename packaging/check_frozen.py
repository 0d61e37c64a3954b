"""Run the frozen Linux bundle on tiny models and report: `python packaging/check_frozen.py dist/candeia`.

The models are made here, with this (non-frozen) Python: a tiny GGUF chat model, and tiny random ONNX
translation (Marian) and captioning (ViT + GPT-2) models exported by optimum (needs the dev extra). Then
only the frozen executables run, each under a timeout, with a throwaway CANDEIA_HOME and CANDEIA_OFFLINE=1:
  candeia-cli --version                  start time
  the .tar.gz                            unpacked, both executables start from it
  candeia-cli models catalog / hardware  the catalog's data files, ONNX Runtime's providers
  candeia-cli models add / chat          llama.cpp from the bundle (and the probe child process)
  candeia-cli translate                  ONNX Runtime seq2seq
  candeia-cli caption                    ONNX Runtime + the decoder split (onnx) + Pillow
  candeia --self-test                    the windowed executable, offscreen, chatting through the GUI
  candeia-cli models download            online, from a loopback fake hub set as the endpoint
and the bundle's size (< 400 MB unpacked) and contents (no torch, transformers, optimum) are checked, and its
llama.cpp libraries with packaging/check_portable.py (--require-portable: a native build fails).
Every run has CANDEIA_SOCKET_AUDIT set (engines/security/socket_audit.py): the last check fails if any frozen
process, or a child it started (the engine host), used a socket beyond loopback, offline or online.
Prints one line per check, a JSON report to --report, and ends with "frozen: N passed, N failed".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "packaging"), str(ROOT / "tests")]

from bundle_check import bundle_size, dangling_links, forbidden_files  # noqa: E402

MAX_BUNDLE_MB = 400
RUN_TIMEOUT_S = 180
Completed = subprocess.CompletedProcess[str]


@dataclass
class Report:
    results: list[dict[str, object]] = field(default_factory=list)
    measures: dict[str, float] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.results.append({"check": name, "ok": ok, "detail": detail})
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r["ok"])


@dataclass
class Frozen:
    bundle: Path
    env: dict[str, str]

    def run(self, exe: str, *args: str, timeout: float = RUN_TIMEOUT_S) -> tuple[Completed, float]:
        started = time.perf_counter()
        try:
            result = subprocess.run([str(self.bundle / exe), *args], capture_output=True, text=True, env=self.env,
                                    timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            result = subprocess.CompletedProcess(exc.cmd, 124, out, f"timed out after {timeout:.0f} s")
        except OSError as exc:  # a half-built bundle: the executable is missing or not executable
            result = subprocess.CompletedProcess([exe, *args], 127, "", f"cannot run {exe}: {exc.strerror or exc}")
        return result, time.perf_counter() - started


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout or "").strip().splitlines()
    return f"exit {result.returncode}: {text[-1][:200] if text else ''}"


def make_models(work: Path) -> dict[str, Path]:
    from tiny_captioner import build_model, export_onnx
    from tiny_seq2seq import build_marian

    from engines.testing import write_tiny_llama

    models = {"gguf": write_tiny_llama(work / "tiny-chat.gguf")}
    _ckpt, models["translate"] = build_marian(work / "marian")
    models["caption"] = export_onnx(build_model(work / "captioner" / "hf"), work / "captioner" / "onnx")
    from PIL import Image

    image = work / "photo.png"
    Image.new("RGB", (40, 30), (200, 80, 40)).save(image)
    models["image"] = image
    return models


def check_bundle(report: Report, bundle: Path) -> None:
    size_mb = bundle_size(bundle) / 1e6
    report.measures["bundle_mb"] = round(size_mb, 1)
    report.check("bundle size", size_mb < MAX_BUNDLE_MB, f"{size_mb:.0f} MB unpacked (limit {MAX_BUNDLE_MB} MB)")
    found = forbidden_files(bundle)
    report.check("no torch/transformers/optimum in the bundle", not found, ", ".join(found[:5]))
    report.check("both executables", all((bundle / n).is_file() for n in ("candeia", "candeia-cli")))
    dangling = dangling_links(bundle)
    report.check("no dangling links", not dangling, ", ".join(dangling[:5]))


def check_portable_llama(report: Report, bundle: Path, required: bool) -> None:
    """The bundle's llama.cpp: portable (CPU variants, baseline on x86-64-v2) or, unless `required`, a native
    build said as such (scripts/check-frozen bundles the README's native source install)."""
    folders = [p for p in (bundle / "_internal" / "llama_cpp" / "lib", bundle / "llama_cpp" / "lib") if p.is_dir()]
    if not folders:
        report.check("llama.cpp libraries in the bundle", False, "no llama_cpp/lib folder")
        return
    args = [sys.executable, str(ROOT / "packaging" / "check_portable.py"), "--lib-dir", str(folders[0])]
    result = subprocess.run([*args, *([] if required else ["--if-portable"])], capture_output=True, text=True,
                            timeout=RUN_TIMEOUT_S, check=False)
    lines = (result.stdout + result.stderr).strip().splitlines()
    detail = lines[0] if lines and lines[0].startswith("skipped") else "; ".join(lines[-3:])
    report.check("llama.cpp runs on every CPU (packaging/check_portable.py)", result.returncode == 0, detail)


def check_archive(report: Report, bundle: Path, work: Path, env: dict[str, str]) -> None:
    """What users download: unpack the .tar.gz built beside the bundle and start both executables from it."""
    from engines import __version__

    archives = sorted(bundle.parent.glob(f"Candeia-{__version__}-linux-*.tar.gz"))  # not a stale older build
    if not archives:
        report.check("linux .tar.gz", False, f"none in {bundle.parent}")
        return
    with tarfile.open(archives[-1]) as tar:
        if hasattr(tarfile, "tar_filter"):  # Python 3.10.12+/3.11.4+: refuse absolute paths and links out
            tar.extractall(work / "unpacked", filter="tar")
        else:
            tar.extractall(work / "unpacked")  # our own archive, just built
    [top] = list((work / "unpacked").iterdir())
    unpacked = Frozen(top, env)
    results = [unpacked.run(exe, "--version", timeout=60)[0] for exe in ("candeia-cli", "candeia")]
    extras = all((top / name).is_file() for name in ("candeia.desktop", "candeia.png"))
    report.check(f"{archives[-1].name} unpacks and starts", extras and all(r.returncode == 0 for r in results),
                 f"{archives[-1].stat().st_size / 1e6:.0f} MB" if extras else "no .desktop or icon inside")


def check_start(report: Report, frozen: Frozen) -> None:
    for exe in ("candeia-cli", "candeia"):
        times, result = [], None
        for _ in range(3):  # the first run reads the files from disk; report the median
            result, took = frozen.run(exe, "--version", timeout=60)
            times.append(took)
        assert result is not None
        median = statistics.median(times)
        report.measures[f"{exe}_version_s"] = round(median, 3)
        report.check(f"{exe} --version", result.returncode == 0 and "0." in result.stdout + result.stderr,
                     f"{median:.2f} s (first {times[0]:.2f} s)")


def check_catalog_and_hardware(report: Report, frozen: Frozen) -> None:
    catalog, _ = frozen.run("candeia-cli", "models", "catalog", "--json")
    try:
        cards = len(json.loads(catalog.stdout))
    except ValueError:
        cards = 0
    report.check("candeia-cli models catalog (model_cards/ in the bundle)",
                 catalog.returncode == 0 and cards > 0, f"{cards} cards" if cards else _tail(catalog))
    hardware, _ = frozen.run("candeia-cli", "hardware", "--json")
    try:
        providers = json.loads(hardware.stdout)["onnx_providers"]
    except (ValueError, KeyError):
        providers = []
    report.check("candeia-cli hardware (ONNX Runtime providers)", "CPUExecutionProvider" in providers,
                 ", ".join(providers) if providers else _tail(hardware))


def check_chat(report: Report, frozen: Frozen, gguf: Path) -> None:
    added, _ = frozen.run("candeia-cli", "models", "add", str(gguf), "--id", "tiny-chat")
    if not report.check("candeia-cli models add (GGUF)", added.returncode == 0, _tail(added)):
        return
    chat, took = frozen.run("candeia-cli", "chat", "-m", "tiny-chat", "--max-tokens", "8", "--seed", "1",
                            "--json", "Hello")
    try:
        stats = json.loads(chat.stdout)["stats"]
        ok = chat.returncode == 0 and stats["generated_tokens"] > 0
    except (ValueError, KeyError, TypeError):
        ok, stats = False, {}
    report.measures["chat_s"] = round(took, 2)
    report.check("candeia-cli chat (llama.cpp in an engine host, first load checked with a batch)", ok,
                 f"{stats.get('generated_tokens', 0)} tokens in {took:.1f} s" if ok else _tail(chat))
    check_engine_host_faults(report, frozen, gguf)


def check_engine_host_faults(report: Report, frozen: Frozen, gguf: Path) -> None:
    """The frozen engine host dies for real (engines/host/faults.py): one line and exit 1; and a model that
    crashes only with repacked weights (as on AMX Xeons) is repaired and answers."""
    crashing = Frozen(frozen.bundle, {**frozen.env, "CANDEIA_HOST_FAULT": "crash:token=3"})
    crashed, _ = crashing.run("candeia-cli", "chat", "-m", "tiny-chat", "--max-tokens", "20", "Hello")
    lines = crashed.stderr.strip().splitlines()
    report.check("candeia-cli chat when its engine host crashes: one line, exit 1",
                 crashed.returncode == 1 and lines == ["candeia-cli: error: the model process crashed (SIGSEGV)"],
                 _tail(crashed))
    copy = gguf.with_name("amx-like.gguf")
    shutil.copyfile(gguf, copy)
    amx = Frozen(frozen.bundle, {**frozen.env, "CANDEIA_HOST_FAULT": "crash:batch?repack"})
    repaired, _ = amx.run("candeia-cli", "chat", "-m", str(copy), "--max-tokens", "4", "Hello")
    report.check("candeia-cli chat repairs a model that crashes with repacked weights",
                 repaired.returncode == 0 and "note:" in repaired.stderr and bool(repaired.stdout.strip()),
                 _tail(repaired))


def check_translate(report: Report, frozen: Frozen, folder: Path) -> None:
    added, _ = frozen.run("candeia-cli", "models", "add", str(folder), "--id", "tiny-en-de")
    if not report.check("candeia-cli models add (ONNX translation)", added.returncode == 0, _tail(added)):
        return
    out, took = frozen.run("candeia-cli", "translate", "-m", "tiny-en-de", "--from", "en", "--to", "de",
                           "--max-tokens", "8", "--json", "Hello world. Good morning.")
    try:
        text = json.loads(out.stdout)["text"]
        ok = out.returncode == 0 and isinstance(text, str)
    except (ValueError, KeyError, TypeError):
        ok = False
    report.check("candeia-cli translate (ONNX Runtime)", ok, f"{took:.1f} s" if ok else _tail(out))


def check_caption(report: Report, frozen: Frozen, folder: Path, image: Path) -> None:
    out, took = frozen.run("candeia-cli", "caption", "-m", str(folder), str(image), "--max-tokens", "6", "--json")
    try:
        line = json.loads(out.stdout.strip().splitlines()[-1])
        ok = out.returncode == 0 and "caption" in json.dumps(line)
    except (ValueError, IndexError):
        ok = False
    report.check("candeia-cli caption (ONNX Runtime, decoder split, Pillow)", ok,
                 f"{took:.1f} s" if ok else _tail(out))


def check_self_test(report: Report, frozen: Frozen) -> None:
    result, took = frozen.run("candeia", "--self-test", timeout=240)
    report.measures["self_test_s"] = round(took, 2)
    ok = result.returncode == 0 and "self-test passed" in result.stdout
    shown = re.search(r"window shown ([\d.]+) s", result.stdout)
    if shown:
        report.measures["window_shown_s"] = float(shown.group(1))
    detail = f"{took:.1f} s, window shown {shown.group(1) if shown else '?'} s after the app's code started"
    report.check("candeia --self-test (offscreen)", ok, detail if ok else _tail(result))


def check_online(report: Report, frozen: Frozen, work: Path, gguf: Path) -> None:
    """Offline mode off, a loopback fake hub as the endpoint: the download is the only network use."""
    from fake_hub import FakeHub

    home = work / "online-home"
    home.mkdir()
    env = {k: v for k, v in frozen.env.items() if k not in ("CANDEIA_OFFLINE", "HF_HUB_OFFLINE", "HF_ENDPOINT")}
    env.update(CANDEIA_HOME=str(home), HF_TOKEN="hf_token_that_must_stay_home")
    online = Frozen(frozen.bundle, env)
    with FakeHub() as hub:
        hub.add_file("org/tiny", "tiny.gguf", gguf.read_bytes())
        (home / "settings.json").write_text(json.dumps({"hf_endpoint": hub.url}), encoding="utf-8")
        result, took = online.run("candeia-cli", "models", "download", "hf.co/org/tiny/tiny.gguf", "-q")
        catalog, _ = online.run("candeia-cli", "models", "catalog", "--json")
        paths = [e.path.split("?")[0] for e in hub.log]
        only_repo = bool(paths) and all(p.startswith(("/org/tiny/resolve/", "/cdn/org/tiny/")) for p in paths)
        no_token = all(e.authorization is None for e in hub.log)
    ok = result.returncode == 0 and catalog.returncode == 0 and only_repo and no_token
    detail = (f"{len(paths)} requests, all for the repository's file, no token, {took:.1f} s" if ok else
              _tail(result) if result.returncode else f"requests {paths[:5]}, token sent: {not no_token}")
    report.check("candeia-cli models download (online, loopback endpoint only)", ok, detail)


def check_socket_audit(report: Report, log: Path, user_home: Path, host_flag: str = "--engine-host") -> None:
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    armed = [e for e in entries if e.get("event") == "armed"]
    blocked = [e for e in entries if e.get("event") != "armed"]
    host = any(host_flag in map(str, e.get("orig_argv") or []) for e in armed)
    hf_cache = user_home / ".cache" / "huggingface"
    ok = bool(armed) and host and not blocked and not hf_cache.exists()
    if ok:
        detail = f"{len(armed)} frozen processes guarded (engine hosts too), none reached beyond loopback"
    elif blocked:
        detail = f"{len(blocked)} refused: {json.dumps(blocked[0])[:300]}"
    elif hf_cache.exists():
        detail = f"huggingface_hub wrote {hf_cache}"
    else:
        detail = "the guard did not run in every process (no 'armed' line from an engine host)"
    report.check("socket audit (every run above, offline and online)", ok, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", type=Path, help="the onedir bundle (dist/candeia)")
    parser.add_argument("--report", type=Path, default=ROOT / "build" / "frozen-report.json")
    parser.add_argument("--require-portable", action="store_true",
                        help="fail on a native llama.cpp build (the release workflow; a local build may be native)")
    args = parser.parse_args(argv)
    bundle = args.bundle.resolve()
    if not (bundle / "candeia-cli").is_file() and not (bundle / "candeia-cli.exe").is_file():
        parser.error(f"{bundle} is not a built bundle (no candeia-cli in it); run packaging/build.py first")
    report = Report()
    check_bundle(report, bundle)
    check_portable_llama(report, bundle, args.require_portable)
    with tempfile.TemporaryDirectory(prefix="candeia-frozen-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(CANDEIA_HOME=str(work / "home"), CANDEIA_OFFLINE="1", QT_QPA_PLATFORM="offscreen",
                   HOME=str(work / "user"))  # the frozen app must not need the build's Python or profile
        audit_log = work / "socket-audit.log"
        env["CANDEIA_SOCKET_AUDIT"] = str(audit_log)  # inherited by every child the frozen app starts
        frozen = Frozen(bundle, env)
        check_start(report, frozen)
        check_archive(report, bundle, work, env)
        check_catalog_and_hardware(report, frozen)
        started = time.monotonic()
        models = make_models(work)
        print(f"     (tiny models made in {time.monotonic() - started:.0f} s)", flush=True)
        steps: list[Callable[[], None]] = [
            lambda: check_chat(report, frozen, models["gguf"]),
            lambda: check_translate(report, frozen, models["translate"]),
            lambda: check_caption(report, frozen, models["caption"], models["image"]),
            lambda: check_self_test(report, frozen),
            lambda: check_online(report, frozen, work, models["gguf"]),
        ]
        for step in steps:
            step()
        check_socket_audit(report, audit_log, work / "user")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"results": report.results, "measures": report.measures}, indent=2),
                           encoding="utf-8")
    print(f"measures: {json.dumps(report.measures)}")
    print(f"frozen: {len(report.results) - report.failed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
