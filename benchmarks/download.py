"""Download throughput: Candeia's downloader against `curl -o /dev/null`, same 1 GB file, same loopback server.

The fake hub runs in its own process and serves the file with sendfile. Candeia's number includes
everything it does per byte: writing the `.part` file and computing the sha256 (and checking it).
Runs alternate (curl, Candeia, curl, ...) so drift hits both; the median of each is compared.

    .venv/bin/python benchmarks/download.py [--size-mb 1024] [--runs 3]

Prints a Markdown table and writes bench-results/download.json. Kept out of pytest on purpose.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hub import start_hub  # noqa: E402  (this file also runs as a script)


def make_file(path: Path, size: int) -> None:
    block = os.urandom(16 << 20)
    with path.open("wb") as fh:
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def run_curl(url: str, out: str) -> float:
    started = time.perf_counter()
    subprocess.run(["curl", "-sSfL", "-o", out, url], check=True)
    return time.perf_counter() - started


def run_candeia(url_base: str, name: str, size: int, work: Path, discard: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds for metadata + transfer + sha256 + verify; `discard` skips the file writes."""
    from engines.download.control import DownloadControl
    from engines.download.endpoint import origin
    from engines.download.hash_pipe import write_all
    from engines.download.hub_meta import HubCall, fetch_metadata, hub_headers
    from engines.download.retry import RetryPolicy
    from engines.download.transfer import FileTransfer

    def skip_write(fh: Any, view: memoryview, part: Path) -> None:
        fh.seek(len(view), os.SEEK_CUR)  # move the file position as a write would (the transfer reads it)

    part = work / f"{name}.part"
    part.unlink(missing_ok=True)
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    remote = fetch_metadata("local/files", name, "main", url_base, HubCall(token=False))
    transfer = FileTransfer(remote, part, expected_sha256=remote.sha256, headers=hub_headers(False),
                            hub_origin=origin(url_base), allow_http=False, policy=RetryPolicy(),
                            control=DownloadControl(), write=skip_write if discard else write_all)
    result = transfer.run()
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    assert result.size == size
    part.unlink(missing_ok=True)
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, help="where the .part and curl's file go (default: a temp dir)")
    args = parser.parse_args()
    if not shutil.which("curl"):
        raise SystemExit("curl is not installed (apt-get install -y curl)")
    size = args.size_mb << 20
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="candeia-bench-") as tmp:
        serve = Path(tmp) / "serve"
        work = Path(tmp) / "work"
        if args.work_dir:
            work = Path(tempfile.mkdtemp(prefix="candeia-bench-", dir=args.work_dir))
        serve.mkdir()
        work.mkdir(exist_ok=True)
        name = "model.gguf"
        make_file(serve / name, size)
        hub, url = start_hub(serve)
        try:
            resolve = f"{url}/local/files/resolve/main/{name}"
            run_curl(resolve, "/dev/null")  # warm the page cache and the server
            curl_null, curl_file, candeia, candeia_null, cpu = [], [], [], [], []
            for _ in range(args.runs):
                curl_null.append(run_curl(resolve, "/dev/null"))
                wall, used = run_candeia(url, name, size, work, discard=True)
                candeia_null.append(wall)
                cpu.append(used / wall)
                candeia.append(run_candeia(url, name, size, work)[0])
                curl_file.append(run_curl(resolve, str(work / "curl.out")))
                (work / "curl.out").unlink()
        finally:
            hub.terminate()
            hub.wait(10)
            if args.work_dir:
                shutil.rmtree(work, ignore_errors=True)
    mib = size / (1 << 20)
    block = bytes(64 << 20)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(size // len(block)):
        digest.update(block)
    hash_alone = time.perf_counter() - started
    rows = {
        "curl -o /dev/null": statistics.median(curl_null),
        "Candeia, writes discarded (network + sha256 + verify)": statistics.median(candeia_null),
        "curl -o file": statistics.median(curl_file),
        "Candeia (.part file + sha256 + verify)": statistics.median(candeia),
    }
    ratio_null = rows["curl -o /dev/null"] / rows["Candeia, writes discarded (network + sha256 + verify)"]
    ratio = rows["curl -o /dev/null"] / rows["Candeia (.part file + sha256 + verify)"]
    ratio_file = rows["curl -o file"] / rows["Candeia (.part file + sha256 + verify)"]
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    where = f"; files written to {args.work_dir}" if args.work_dir else ""
    print(f"Download of {mib:.0f} MiB from a loopback fake hub (sendfile), median of {args.runs} runs; "
          f"{machine}{where}\n")
    print("| client | seconds | MiB/s |")
    print("|---|---:|---:|")
    for label, seconds in rows.items():
        print(f"| {label} | {seconds:.2f} | {mib / seconds:.0f} |")
    print(f"| (sha256 alone, in memory, one core) | {hash_alone:.2f} | {mib / hash_alone:.0f} |")
    print(f"\nLoad average before the run: {load[0]:.2f}; Candeia used {statistics.median(cpu):.2f} CPU cores "
          "on average while downloading (hashing overlaps the network when a core is free).")
    print(f"\nCandeia (writes discarded) / curl -o /dev/null: {ratio_null:.1%}")
    print(f"Candeia (.part file) / curl -o /dev/null: {ratio:.1%}")
    print(f"Candeia (.part file) / curl -o file: {ratio_file:.1%}")
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "download.json").write_text(json.dumps({
        "size_bytes": size, "runs": args.runs, "machine": machine, "load_average": load,
        "sha256_alone_seconds": hash_alone, "candeia_cpu_cores_used": cpu,
        "seconds": {"curl_devnull": curl_null, "curl_file": curl_file, "candeia": candeia,
                    "candeia_writes_discarded": candeia_null},
        "median_seconds": rows, "ratio_discarded_vs_curl_devnull": ratio_null,
        "ratio_vs_curl_devnull": ratio, "ratio_vs_curl_file": ratio_file,
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
