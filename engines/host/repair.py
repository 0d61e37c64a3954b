"""Self-repair: a model that crashes llama.cpp on its first load or first batched decode on this
computer is tried again with safe settings, and what worked is remembered.

The ladder: llama.cpp's defaults; then without its extra CPU buffer types (repacked weights and
AMX, whose kernels crash on some Xeons: llama.cpp issue #20824); then also without GPU offload.
The record is kept per (model file, llama.cpp build, CPU), so later loads go straight to what
worked and skip the first-load check, and a new build or another CPU is checked again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

from engines.atomic import atomic_write_json
from engines.errors import EngineCrashedError, InvalidModelFileError
from engines.llama.engine import LoadOptions
from engines.paths import cache_dir

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRYABLE = ("crashed", "exited", "hung")  # out of memory is not cured by safer kernels


@dataclass(frozen=True)
class Level:
    name: str
    extra_buffers: bool
    cpu_only: bool
    remedy: str  # how the user is told what changed

    def apply(self, options: LoadOptions) -> LoadOptions:
        return dataclasses.replace(options, extra_buffers=options.extra_buffers and self.extra_buffers,
                                   gpu_layers=0 if self.cpu_only else options.gpu_layers)


DEFAULT = Level("default", True, False, "")
NO_REPACK = Level("no-repack", False, False, "it now loads without llama.cpp's repacked CPU weights")
CPU_ONLY = Level("cpu-only", False, True, "it now loads without repacked weights and runs on the CPU only")
LEVELS = {level.name: level for level in (DEFAULT, NO_REPACK, CPU_ONLY)}


def ladder(options: LoadOptions) -> list[Level]:
    return [DEFAULT, NO_REPACK] + ([CPU_ONLY] if options.gpu_layers != 0 else [])


@cache
def llama_build() -> str:
    from importlib import metadata

    try:
        return "llama-cpp-python " + metadata.version("llama_cpp_python")
    except metadata.PackageNotFoundError:  # a frozen build without the distribution's metadata
        return "llama-cpp-python (bundled)"


@cache
def cpu_signature() -> str:
    from engines.hardware.machine import cpu_model, simd_flags

    return f"{cpu_model() or 'unknown CPU'} [{' '.join(sorted(simd_flags()))}]"


class LoadRecords:
    """What loads each model file on this computer: {key: {"level": name, "note": sentence}}."""

    def __init__(self, file: Path | None = None) -> None:
        self.file = file or cache_dir() / "engine-hosts.json"

    @staticmethod
    def key(path: Path) -> str:
        stat = path.stat()
        raw = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_build()}|{cpu_signature()}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]

    def _read(self) -> dict[str, dict[str, str]]:
        import json

        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, path: Path) -> Level | None:
        entry = self._read().get(self.key(path))
        return LEVELS.get(str(entry.get("level"))) if isinstance(entry, dict) else None

    def remember(self, path: Path, level: Level, note: str | None) -> None:
        data = self._read()
        data[self.key(path)] = {"level": level.name, "file": str(path), "note": note or ""}
        atomic_write_json(self.file, data)

    def forget(self, path: Path) -> None:
        data = self._read()
        if data.pop(self.key(path), None) is not None:
            atomic_write_json(self.file, data)


@dataclass(frozen=True)
class Repair:
    """A model that needed safe settings on this computer: what crashed, and what loads it now."""

    file: str
    cause: str  # the signal or kind of the first crash, e.g. "SIGSEGV"
    level: Level

    def sentence(self) -> str:
        return f"{self.file}: llama.cpp crashed ({self.cause}) with its default settings on this computer; " \
               f"{self.level.remedy}"


def load_with_repair(path: Path, options: LoadOptions, start: Callable[[LoadOptions, bool], T],
                     records: LoadRecords | None = None) -> tuple[T, Repair | None]:
    """`start(options, probe)` loads the model in a new host. Returns it and, when it needed safe
    settings for the first time, what was repaired (also logged)."""
    records = records or LoadRecords()
    recorded = records.get(path)
    if recorded is not None:
        try:
            return start(recorded.apply(options), False), None
        except EngineCrashedError as exc:
            if exc.kind not in RETRYABLE:
                raise
            log.info("%s crashed with its recorded settings (%s); checking it again", path.name, exc)
            records.forget(path)
    first: EngineCrashedError | None = None
    for level in ladder(options):
        try:
            engine = start(level.apply(options), True)
        except EngineCrashedError as exc:
            if exc.kind not in RETRYABLE:
                raise
            log.info("%s: %s with settings '%s'", path.name, exc, level.name)
            first = first or exc
            continue
        repair = None
        if first is not None:
            repair = Repair(path.name, first.detail or first.kind, level)
            log.info("%s", repair.sentence())  # the CLI prints it, the GUI shows it
        records.remember(path, level, repair.sentence() if repair else None)
        return engine, repair
    assert first is not None
    raise InvalidModelFileError(path, f"crashes llama.cpp while loading ({first.detail or first.kind}), "
                                      "even with safe settings")
