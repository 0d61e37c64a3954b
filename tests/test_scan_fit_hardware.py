"""Scanning folders, the fit estimate, the hardware report, and their CLI commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engines.cards.fit import ModelShape, estimate
from engines.cli.main import main
from engines.gguf.info import read_gguf
from engines.hardware.machine import GPU, Hardware, detect
from engines.store.model_store import ModelStore
from engines.store.scan import known_model_folders, scan


def _onnx_folder(root: Path) -> Path:
    folder = root / "opus-mt-en-de"
    (folder / "onnx").mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "marian"}')
    (folder / "onnx" / "encoder_model.onnx").write_bytes(b"\x08\x07rest")
    (folder / "onnx" / "decoder_model.onnx").write_bytes(b"\x08\x07rest")
    return folder


def test_scan_links_in_place_and_registers_each_file_once(tmp_path: Path, tiny_gguf: Path) -> None:
    root = tmp_path / "shared"
    (root / "a" / "deep").mkdir(parents=True)
    model = root / "a" / "deep" / "chat.gguf"
    model.write_bytes(tiny_gguf.read_bytes())
    os.link(model, root / "hardlink.gguf")
    (root / "a" / "symlink.gguf").symlink_to(model)
    (root / "broken.gguf").write_bytes(b"GGUF but not really")
    folder = _onnx_folder(root / "translation")
    report = scan([root])
    assert sorted(m.format.value for m in report.added) == ["gguf", "onnx"]
    gguf = next(m for m in report.added if m.format.value == "gguf")
    assert gguf.linked and Path(gguf.path).samefile(model)
    onnx = next(m for m in report.added if m.format.value == "onnx")
    assert Path(onnx.path) == folder.resolve() and onnx.tasks == ["translate"]
    assert [p.name for p, _ in report.skipped] == ["broken.gguf"]
    again = scan([root])
    assert again.added == [] and {m.id for m in again.known} == {gguf.id, onnx.id}
    assert len(ModelStore().installed()) == 2
    assert model.exists()  # linked: nothing was moved or copied


def test_scan_attaches_a_projector_and_reads_the_hf_cache_layout(tmp_path: Path, tiny_gguf: Path) -> None:
    from gguf import GGUFWriter

    snapshot = tmp_path / "hub" / "models--org--Vision-GGUF" / "snapshots" / ("a" * 40)
    blobs = tmp_path / "hub" / "models--org--Vision-GGUF" / "blobs"
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    blob = blobs / ("b" * 64)
    blob.write_bytes(tiny_gguf.read_bytes())
    (snapshot / "vision-Q8_0.gguf").symlink_to(blob)
    writer = GGUFWriter(str(snapshot / "mmproj-vision.gguf"), "clip")
    import numpy as np

    writer.add_tensor("v.patch_embd.weight", np.ones((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    report = scan([tmp_path / "hub"])
    assert len(report.added) == 1
    model = report.added[0]
    assert model.name == "vision-Q8_0" and Path(model.path) == blob
    assert model.companions == {"mmproj": str(snapshot / "mmproj-vision.gguf")}


def test_known_folders_cover_the_other_apps() -> None:
    apps = {f.app.split(" (")[0] for f in known_model_folders()}
    assert {"LM Studio", "GPT4All", "Jan", "Hugging Face cache"} <= apps


def test_scan_cli(tmp_path: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x.gguf").write_bytes(tiny_gguf.read_bytes())
    assert main(["models", "scan", str(tmp_path / "m"), "--dry-run"]) == 0
    assert "would add" in capsys.readouterr().out and ModelStore().installed() == []
    assert main(["models", "scan", str(tmp_path / "m"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in out["added"]] == ["x"]
    assert main(["models", "remove", "x"]) == 0  # linked: unregistered without asking
    assert (tmp_path / "m" / "x.gguf").exists()
    assert main(["models", "scan", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def _hardware(ram_free: int, gpus: list[GPU] | None = None, offload: bool | None = True) -> Hardware:
    return Hardware("Test", "x86_64", "cpu", 8, 4, ["avx2"], ram_free * 2, ram_free, gpus or [], [], offload, None)


def test_fit_counts_weights_kv_cache_and_overhead(tiny_gguf: Path) -> None:
    info = read_gguf(tiny_gguf)
    shape = ModelShape.from_gguf(info)
    assert shape.layers == 2 and shape.kv_heads == 2 and shape.head_dim_k == 16
    fit = estimate(shape, 1024, _hardware(8 << 30))
    assert fit.kv_cache == 2 * 1024 * 2 * (16 + 16) * 2
    assert fit.needed == fit.weights + fit.kv_cache + fit.overhead and fit.verdict == "fits"
    big = ModelShape(weights=7_000_000_000, layers=32, kv_heads=8, head_dim_k=128, head_dim_v=128)
    assert estimate(big, 8192, _hardware(16 << 30)).verdict == "fits"
    assert estimate(big, 8192, _hardware(9 << 30)).verdict == "tight"
    assert estimate(big, 8192, _hardware(4 << 30)).verdict == "won't fit"
    gpu = GPU("Test GPU", "NVIDIA", 10 << 30, 10 << 30)
    offloaded = estimate(big, 8192, _hardware(3 << 30, [gpu]), gpu_layers=-1)
    assert offloaded.device == "VRAM" and offloaded.verdict == "fits" and "Test GPU" in offloaded.detail
    half = estimate(big, 8192, _hardware(3 << 30, [gpu]), gpu_layers=16)
    assert half.device == "RAM+VRAM" and half.verdict == "won't fit"  # half the layers stay in 3 GiB of RAM
    assert estimate(big, 8192, _hardware(4 << 30, [gpu], offload=False), gpu_layers=-1).device == "RAM"


def test_hardware_report_and_cli(capsys: pytest.CaptureFixture[str]) -> None:
    hw = detect()
    assert hw.logical_cores >= 1 and hw.ram_total and hw.ram_available
    assert main(["hardware", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"cpu_model", "simd", "ram_total", "gpus", "onnx_providers", "llama_gpu_offload"} <= set(data)
    assert main(["hardware"]) == 0
    assert "llama.cpp gpu" in capsys.readouterr().out


def test_catalog_and_info_show_the_fit(tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "catalog", "--task", "chat", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert cards and all("chat" in c["tasks"] for c in cards)
    assert all(c["fit"]["verdict"] in ("fits", "tight", "won't fit") for c in cards)
    assert main(["info", str(tiny_gguf), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fit"].startswith("fits: ")


def test_verify_records_then_checks(tmp_path: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "v.gguf"
    copy.write_bytes(tiny_gguf.read_bytes())
    assert main(["models", "add", str(copy)]) == 0
    assert main(["models", "verify", "v"]) == 0
    assert "recorded sha256" in capsys.readouterr().out
    assert main(["models", "verify", "v"]) == 0
    data = bytearray(copy.read_bytes())
    data[-1] ^= 0xFF
    copy.write_bytes(bytes(data))
    assert main(["models", "verify", "v"]) == 1
    assert "does not match its recorded sha256" in capsys.readouterr().err


def test_scan_offers_and_scans_other_apps_folders(
    tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))  # never the real cache
    lmstudio = tmp_path / ".lmstudio" / "models" / "bartowski" / "Tiny-GGUF"
    lmstudio.mkdir(parents=True)
    (lmstudio / "Tiny-Q4_K_M.gguf").write_bytes(tiny_gguf.read_bytes())
    assert main(["models", "scan"]) == 0
    assert f"LM Studio: {tmp_path / '.lmstudio' / 'models'}" in capsys.readouterr().err
    assert ModelStore().installed() == []  # only offered
    assert main(["models", "scan", "--known"]) == 0
    assert [m.name for m in ModelStore().installed()] == ["Tiny-Q4_K_M"]
