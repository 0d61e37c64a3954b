"""Batch captioning: folders with broken files, CSV/JSONL/sidecars, resume, cancel, and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engines.caption.batch import BatchOptions, caption_paths, sidecar_path
from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.jobs import Cancelled, CancelToken
from tests_support import run_cli

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def captioner(tiny_captioner: Path) -> OnnxCaptioner:
    return OnnxCaptioner(tiny_captioner / "onnx", threads=1)


def make_folder(root: Path) -> Path:
    rng = np.random.default_rng(11)
    (root / "sub").mkdir(parents=True)

    def img(rel: str, mode: str = "RGB") -> None:
        Image.fromarray(rng.integers(0, 256, (30, 34, 3), dtype=np.uint8)).convert(mode).save(root / rel)

    img("a.png")
    img("b.jpg")
    img("c.webp", "RGBA")
    img("sub/d.png", "L")
    img("sub/e.gif", "P")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("not an image", encoding="utf-8")
    return root


def test_folder_with_broken_files_goes_on(captioner: OnnxCaptioner, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "pics")
    seen: list[tuple[int, int]] = []
    options = CaptionOptions(max_new_tokens=6, batch_size=2)
    results = list(caption_paths(captioner, [folder], options, BatchOptions(recursive=True),
                                 progress=lambda d, t: seen.append((d, t))))
    names = [r.path.relative_to(folder).as_posix() for r in results]
    assert names == ["a.png", "b.jpg", "broken.jpg", "c.webp", "empty.png", "sub/d.png", "sub/e.gif"]
    errors = {r.path.name: r.error for r in results if not r.ok}
    assert set(errors) == {"broken.jpg", "empty.png"}
    assert "empty" in (errors["empty.png"] or "")
    assert all(r.caption is not None for r in results if r.ok)
    assert seen == [(i, 7) for i in range(1, 8)]
    direct = captioner.caption_images([Image.open(folder / "a.png").convert("RGB")], options)
    assert results[0].caption == direct[0]
    flat = list(caption_paths(captioner, [folder], options))
    assert len(flat) == 5


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_output_file_resume_and_sidecars(captioner: OnnxCaptioner, tmp_path: Path, suffix: str) -> None:
    folder = make_folder(tmp_path / "pics")
    out = tmp_path / f"results{suffix}"
    options = CaptionOptions(max_new_tokens=5, batch_size=3)
    batch = BatchOptions(recursive=True, out=out, sidecar=True)
    first = list(caption_paths(captioner, [folder], options, batch))
    assert sum(r.ok for r in first) == 5 and not any(r.skipped for r in first)
    for r in first:
        assert sidecar_path(r.path).is_file() == r.ok
        if r.ok:
            assert sidecar_path(r.path).read_text(encoding="utf-8").strip() == r.caption
    if suffix == ".csv":
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 7
    assert {Path(r["path"]).name for r in rows if r.get("error")} == {"broken.jpg", "empty.png"}
    # a second run skips everything captioned, retries only the broken files, and keeps the captions
    second = list(caption_paths(captioner, [folder], options, batch))
    assert [r.skipped for r in second] == [r.ok for r in first]
    assert [r.caption for r in second if r.skipped] == [r.caption for r in first if r.ok]
    assert not any(r.ok for r in second if not r.skipped)


def test_cancel_mid_batch_then_resume(captioner: OnnxCaptioner, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "pics")
    out = tmp_path / "r.jsonl"
    cancel = CancelToken()
    got = []
    options = CaptionOptions(max_new_tokens=5, batch_size=1)
    with pytest.raises(Cancelled):
        for result in caption_paths(captioner, [folder], options, BatchOptions(recursive=True, out=out),
                                    cancel=cancel):
            got.append(result)
            if len(got) == 2:
                cancel.cancel()
    assert len(got) == 2
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    rest = list(caption_paths(captioner, [folder], options, BatchOptions(recursive=True, out=out)))
    assert [r.skipped for r in rest] == [True, True, False, False, False, False, False]


def test_cli_caption_folder_json_lines(tiny_captioner: Path, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "pics")
    out = tmp_path / "captions.csv"
    proc = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(folder), "-r", "--json", "--max-tokens", "5",
                   "--out", str(out), "--threads", "1")
    assert proc.returncode == 1, proc.stderr  # two broken files
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 7
    assert {Path(x["path"]).name for x in lines if "error" in x} == {"broken.jpg", "empty.png"}
    assert all(isinstance(x.get("caption"), str) for x in lines if "error" not in x)
    assert "2 of 7 images could not be captioned" in proc.stderr
    again = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(folder / "a.png"), "--json",
                    "--max-tokens", "5", "--out", str(out), "--threads", "1")
    assert again.returncode == 0, again.stderr
    line = json.loads(again.stdout)
    assert line["skipped"] is True and line["caption"] == lines[0]["caption"]


def test_cli_errors(tiny_captioner: Path, tmp_path: Path) -> None:
    bad = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(tmp_path), "--out", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and ".csv or .jsonl" in bad.stderr
    missing = run_cli("caption", "-m", str(tmp_path / "nope"), str(tmp_path))
    assert missing.returncode == 1 and "neither an installed model id nor an existing file" in missing.stderr
    empty = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(tmp_path), "--threads", "1")
    assert empty.returncode == 1 and "no images found" in empty.stderr
    question = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(tmp_path), "--prompt", "how many?")
    assert question.returncode == 2 and "--prompt needs a vision chat model" in question.stderr
    text = run_cli("caption", "-m", str(tiny_captioner / "onnx"), str(tmp_path / "ghost.png"), "--threads", "1")
    assert text.returncode == 1 and "ghost.png: error: does not exist" in text.stderr
