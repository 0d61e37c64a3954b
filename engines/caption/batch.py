"""Caption many images: files and folders in, one CaptionResult per image out.

A broken image never stops the batch: it gets a result with an error sentence and the next one
runs. Results are appended to a CSV or JSON Lines file (and/or `.txt` sidecars beside the images,
the convention caption tools use) as they are made, so a run that is cancelled or crashes can be
resumed: images that already have a caption there are skipped.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from PIL import Image

from engines.caption.types import Captioner, CaptionOptions, CaptionResult
from engines.errors import CandeiaError, EngineCrashedError, UsageError
from engines.images.decode import ImageFileError, find_images, load_image
from engines.jobs import CancelToken, ProgressCallback

OUTPUT_SUFFIXES = (".csv", ".jsonl")
CSV_FIELDS = ("path", "caption", "error")


def sidecar_path(image: Path) -> Path:
    """`photo.jpg` -> `photo.txt` beside it (kohya/TagGUI convention)."""
    return image.with_suffix(".txt")


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def read_results(path: Path) -> dict[str, str]:
    """Captions already in an output file (resolved image path -> caption); error rows are not kept."""
    done: dict[str, str] = {}
    if not path.is_file():
        return done
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            if path.suffix.lower() == ".csv":
                for row in csv.DictReader(fh):
                    if row.get("path") and not row.get("error"):  # an empty caption is still a caption
                        done[_key(Path(row["path"]))] = row.get("caption") or ""
            else:
                for line in fh:
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a crash
                    if isinstance(item, dict) and isinstance(item.get("caption"), str) and item.get("path"):
                        done[_key(Path(str(item["path"])))] = item["caption"]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CandeiaError(f"cannot read the earlier results in {path} to resume from them ({exc})") from exc
    return done


class ResultWriter:
    """Appends results to a CSV or JSON Lines file, flushing after each one."""

    def __init__(self, path: Path, append: bool) -> None:
        suffix = path.suffix.lower()
        if suffix not in OUTPUT_SUFFIXES:
            raise UsageError(f"the output file must end in .csv or .jsonl, not '{path.name}'")
        self.path = path
        self.csv = suffix == ".csv"
        exists = append and path.is_file() and path.stat().st_size > 0
        if path.parent and not path.parent.is_dir():
            raise UsageError(f"the folder for {path} does not exist")
        try:
            self._fh: IO[str] = path.open("a" if append else "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise CandeiaError(f"cannot write the results to {path} ({exc.strerror or exc})") from exc
        if exists:
            self._ensure_newline()
        self._csv = csv.DictWriter(self._fh, fieldnames=CSV_FIELDS) if self.csv else None
        if self._csv is not None and not exists:
            self._csv.writeheader()

    def _ensure_newline(self) -> None:
        with self.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            last = fh.read(1)
        if last not in (b"\n", b""):
            self._fh.write("\n")

    def write(self, result: CaptionResult) -> None:
        if self._csv is not None:
            self._csv.writerow({"path": str(result.path), "caption": result.caption or "", "error": result.error or ""})
        else:
            self._fh.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def write_sidecar(image: Path, caption: str) -> None:
    target = sidecar_path(image)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(caption + "\n", encoding="utf-8")
    os.replace(tmp, target)


@dataclass(frozen=True)
class BatchOptions:
    recursive: bool = False
    out: Path | None = None
    sidecar: bool = False
    resume: bool = True  # skip images captioned by an earlier run (in `out` or by a sidecar)


def collect_images(inputs: Sequence[str | Path], recursive: bool = False) -> list[Path]:
    seen: set[str] = set()
    images: list[Path] = []
    for path in find_images(inputs, recursive):
        key = _key(path)
        if key not in seen:
            seen.add(key)
            images.append(path)
    return images


def caption_paths(
    captioner: Captioner,
    inputs: Sequence[str | Path],
    options: CaptionOptions | None = None,
    batch: BatchOptions | None = None,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[CaptionResult]:
    """Yield one result per image, in order. Cancelling stops before the next batch (raising Cancelled);
    everything yielded so far is already written."""
    options = options or CaptionOptions()
    batch = batch or BatchOptions()
    cancel = cancel or CancelToken()
    images = collect_images(inputs, batch.recursive)
    total = len(images)
    done_before = read_results(batch.out) if batch.out is not None and batch.resume else {}
    writer = ResultWriter(batch.out, append=batch.resume) if batch.out is not None else None
    count = 0
    size = max(1, options.batch_size)
    try:
        # Skipped images wait in `queue` with the ones to caption, so results come out in input order.
        queue: list[tuple[Path, str | None]] = []
        for index, path in enumerate(images):
            queue.append((path, _earlier_caption(path, done_before, batch)))
            to_run = sum(1 for _, earlier in queue if earlier is None)
            if to_run < size and index + 1 < len(images):
                continue
            fresh = iter(_run_batch(captioner, [p for p, e in queue if e is None], options, cancel) if to_run else [])
            for queued, earlier in queue:
                if earlier is not None:
                    result = CaptionResult(queued, caption=earlier, skipped=True)
                    if writer is not None and _key(queued) not in done_before:
                        writer.write(result)  # captioned by a sidecar only: record it in the file too
                else:
                    result = next(fresh)
                    _save(result, writer, batch)
                count += 1
                yield result
                if progress is not None:
                    progress(count, total)
            queue = []
    finally:
        if writer is not None:
            writer.close()


def _earlier_caption(path: Path, done: dict[str, str], batch: BatchOptions) -> str | None:
    if not batch.resume:
        return None
    caption = done.get(_key(path))
    if caption is not None:
        return caption
    if batch.sidecar:
        side = sidecar_path(path)
        if side.is_file():
            try:
                text = side.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return None
            return text
    return None


def _save(result: CaptionResult, writer: ResultWriter | None, batch: BatchOptions) -> None:
    if writer is not None:
        writer.write(result)
    if batch.sidecar and result.caption is not None:
        try:
            write_sidecar(result.path, result.caption)
        except OSError as exc:
            raise CandeiaError(f"cannot write the caption file beside {result.path} ({exc.strerror or exc})") from exc


def _run_batch(
    captioner: Captioner, paths: list[Path], options: CaptionOptions, cancel: CancelToken
) -> list[CaptionResult]:
    cancel.raise_if_cancelled()
    started = time.perf_counter()
    loaded: list[tuple[Path, Image.Image]] = []
    results: dict[Path, CaptionResult] = {}
    for path in paths:
        try:
            loaded.append((path, load_image(path)))
        except ImageFileError as exc:
            results[path] = CaptionResult(path, error=exc.reason)
    if loaded:
        try:
            captions = captioner.caption_images([img for _, img in loaded], options, cancel)
            each = (time.perf_counter() - started) / len(loaded)
            for (path, _), caption in zip(loaded, captions, strict=True):
                results[path] = CaptionResult(path, caption=caption, seconds=each)
        except EngineCrashedError:
            raise  # the model's process is gone: every later image would fail the same way
        except CandeiaError as exc:
            if len(loaded) == 1:
                results[loaded[0][0]] = CaptionResult(loaded[0][0], error=str(exc))
            else:  # find the image that failed: caption the batch one by one
                for path, image in loaded:
                    results[path] = _one(captioner, path, image, options, cancel)
    return [results[p] for p in paths]


def _one(captioner: Captioner, path: Path, image: Image.Image, options: CaptionOptions,
         cancel: CancelToken) -> CaptionResult:
    started = time.perf_counter()
    try:
        caption = captioner.caption_images([image], options, cancel)[0]
    except EngineCrashedError:
        raise
    except CandeiaError as exc:
        return CaptionResult(path, error=str(exc))
    return CaptionResult(path, caption=caption, seconds=time.perf_counter() - started)


def summary(results: Sequence[CaptionResult]) -> dict[str, Any]:
    return {
        "images": len(results),
        "captioned": sum(1 for r in results if r.ok and not r.skipped),
        "skipped": sum(1 for r in results if r.skipped),
        "failed": sum(1 for r in results if not r.ok),
    }
