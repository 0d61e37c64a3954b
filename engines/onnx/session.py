"""ONNX Runtime sessions, set up the same way for every ONNX engine (translation, captioning).

One intra-op pool of `threads`, sequential execution (decoding is a chain of small steps, so
inter-op parallelism only adds contention), full graph optimisation, and one clear sentence when
a file is not a model ONNX Runtime can load.

A large file with its weights embedded is loaded from a derived copy whose weights sit in a data
file beside the graph (made once, see onnx_external.py): ONNX Runtime memory-maps those instead of
holding the protobuf and the tensors parsed from it at once, which took session creation for an
opus-mt-sized model from about 2.1x the file's size to 1.7x (fp32) and from 1.8x to 0.9x (int8).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from engines.errors import InvalidModelFileError, ModelLoadError
from engines.onnx.derived import derived_entry
from engines.onnx.providers import (
    CPU,
    DIRECTML,
    DeviceReport,
    available_providers,
    configured_choice,
    fallback_message,
    plan_providers,
)

log = logging.getLogger(__name__)

SPIN_ENV = "CANDEIA_ORT_SPIN"
EXTERNAL_CACHE = "onnx-external"
EXTERNAL_VERSION = "1"
# below this, a file's weights cost little either way and a copy is not worth its disk space
EMBEDDED_MIN_BYTES = 64 << 20


def ort_module() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - the cpu or gpu extra is part of every install
        raise ModelLoadError("ONNX Runtime is not installed; install Candeia with the 'cpu' or 'gpu' extra") from exc
    return onnxruntime


def external_weights_copy(path: Path, cache_root: Path | None = None) -> Path | None:
    """A copy of `path` with its weights in a data file, made on first use; None when not needed or not possible.

    Not needed: a small file, or one whose weights are already outside (its graph alone is small).
    """
    if path.stat().st_size < EMBEDDED_MIN_BYTES:
        return None
    from engines.onnx.external import AlreadyExternalError, externalize

    if cache_root is None:
        from engines.paths import cache_dir

        try:
            cache_root = cache_dir() / EXTERNAL_CACHE
        except OSError as exc:  # a read-only or vanished data folder: the original still loads
            log.warning("no cache folder for a copy of %s (%s); using it as it is", path.name, exc)
            return None

    def build(folder: Path) -> bool:
        log.info("writing a copy of %s with its weights in a separate file, which ONNX Runtime maps instead of "
                 "copying (once: this first load takes a few seconds longer)", path.name)
        started = time.perf_counter()
        try:
            moved = externalize(path, folder / path.name)
        except AlreadyExternalError:
            return False
        log.info("copied %d tensors of %s in %.1f s", moved, path.name, time.perf_counter() - started)
        return True

    entry = derived_entry(path, cache_root, EXTERNAL_VERSION, build, expect=[path.name], expect_weights=[path.name],
                          needs_bytes=path.stat().st_size)
    return entry / path.name if entry is not None else None


def make_session(path: Path, threads: int | None, providers: list[str] | None = None,
                 spin: bool | None = None, external_weights: bool = True, mem_pattern: bool = True,
                 stop_spinning: bool = False, report: DeviceReport | None = None, optimize: bool = True,
                 quiet: bool = False) -> Any:
    """`providers`: None takes the device chosen in Settings (onnx_providers.py); a provider that is
    missing or fails to start falls back to the CPU, said in one line and kept in `report`.
    `spin`: let idle worker threads busy-wait between ops (ONNX Runtime's default). Faster on an idle
    machine, much slower when other programs compete for the cores; None reads CANDEIA_ORT_SPIN (0/1).
    `external_weights`: load a large single-file model from its external-weights copy (see above).
    `stop_spinning`: workers still spin between the ops of a run, but block as soon as a run ends
    (`session.force_spinning_stop`). For an engine that chains several sessions (an encoder, then a
    decoder), each session has its own pool, and an idle pool's spinning workers would otherwise take
    cores from the next session's run for a while (docs/captioning.md).
    `optimize` False runs the graph as written (a graph pass reading intermediate tensors back);
    `quiet` keeps ONNX Runtime's warnings about a graph Candeia derived itself out of the output."""
    ort = ort_module()
    report = report if report is not None else DeviceReport()
    if providers is None:
        plan = plan_providers(configured_choice(), available_providers())
        if plan.notice and plan.missing:
            report.notice(plan.notice, plan.missing)
        providers = plan.providers
    options = ort.SessionOptions()
    if spin is None and os.environ.get(SPIN_ENV) in ("0", "1"):
        spin = os.environ[SPIN_ENV] == "1"
    if spin is not None:
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    if stop_spinning:
        options.add_session_config_entry("session.force_spinning_stop", "1")
    level = ort.GraphOptimizationLevel
    options.graph_optimization_level = level.ORT_ENABLE_ALL if optimize else level.ORT_DISABLE_ALL
    if quiet:
        options.log_severity_level = 3
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # False: a graph whose shapes change every run (a decoder step); DirectML cannot use memory patterns
    options.enable_mem_pattern = mem_pattern and DIRECTML not in providers
    chosen_providers = providers or [CPU]
    if chosen_providers != [CPU]:
        # ONNX Runtime's own multi-line error when a provider fails to start; the fallback line says it
        ort.set_default_logger_severity(3)
    copy = external_weights_copy(path) if external_weights and path.is_file() else None
    if copy is not None:
        try:
            return open_session(ort, copy, options, chosen_providers, report)
        except Exception as exc:  # the copy is ours: never let it be the reason a good model fails
            log.warning("could not load the external-weights copy of %s (%s); loading the original", path.name,
                        str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__)
            shutil.rmtree(copy.parent, ignore_errors=True)  # or every later load would try it again first
    try:
        return open_session(ort, path, options, chosen_providers, report)
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/... classes
        raise InvalidModelFileError(path, f"ONNX Runtime cannot load it ({_first_line(exc)[:200]})") from None


def open_session(ort: Any, path: Path, options: Any, providers: list[str], report: DeviceReport) -> Any:
    """An InferenceSession on `providers`, or on the CPU when the first of them cannot start.

    ONNX Runtime's own fallback is off (`enable_fallback=0`): it prints to stdout, which is the CLI's
    output. A provider that fails to be created raises (then the CPU is tried here) or is left out of
    the session silently (then `get_providers()` shows it is missing)."""
    try:
        session = ort.InferenceSession(str(path), options, providers=providers, enable_fallback=0)
    except Exception as exc:
        if providers == [CPU]:
            raise
        session = ort.InferenceSession(str(path), options, providers=[CPU], enable_fallback=0)  # a bad file raises
        report.notice(fallback_message(providers[0], _first_line(exc)[:160]), providers[0])
    else:
        if providers[0] not in session.get_providers():
            report.notice(fallback_message(providers[0]), providers[0])
    report.session(session.get_providers())
    return session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
