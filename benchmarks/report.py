"""Machine description, Markdown tables and JSON output shared by the benchmarks."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[1] / "bench-results"


def existing_file(text: str) -> Path:
    """argparse type for a file argument (a model, llama-bench): a missing file is a usage error, not a
    traceback from a loader or a subprocess."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a file")
    return path


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "memory_bytes": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: other processes' load skews every timing."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(name: str, payload: dict[str, Any], target: Path | None = None) -> Path:
    path = target or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    return path


def publish(name: str, headline: str, headers: list[str], rows: list[list[Any]], payload: dict[str, Any],
            target: Path | None = None) -> int:
    """Print a run's headline and table, write its JSON (bench-results/<name>.json unless `target`),
    say where; returns 0, the benchmark's exit status."""
    print(headline)
    print(markdown_table(headers, rows))
    print(f"JSON: {write_json(name, payload, target)}")
    return 0


def rss_bytes() -> int:
    """This process's resident memory now."""
    import psutil

    return int(psutil.Process().memory_info().rss)


def peak_rss_bytes() -> int:
    """This process's peak RSS (VmHWM resets at exec; ru_maxrss would carry the parent's peak over)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
