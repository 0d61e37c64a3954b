"""`candeia-cli info`, `hardware` and `translate` say which device each model runs on, or would run on,
and a device that cannot be had is one line on stderr (engines/hardware/devices.py, engines/onnx/providers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engines.settings import Settings, save_settings
from engines.store.model_store import ModelStore
from tests_support import run_cli

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")


@pytest.fixture(scope="module")
def marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_seq2seq import build_marian, cached

    return cached(tmp_path_factory.getbasetemp(), "marian", build_marian)[1]


def test_info_names_the_device(tiny_gguf: Path, marian: Path) -> None:
    save_settings(Settings(gpu_layers=-1))  # this llama.cpp build cannot offload: still the CPU
    gguf = json.loads(run_cli("info", str(tiny_gguf), "--json").stdout)
    assert gguf["device"] == "CPU"
    onnx = run_cli("info", str(marian))
    assert onnx.returncode == 0, onnx.stderr
    assert [line.split()[-1] for line in onnx.stdout.splitlines() if line.startswith("device")] == ["CPU"]


def test_hardware_lists_each_installed_model_with_its_device(tiny_gguf: Path, marian: Path) -> None:
    store = ModelStore()
    store.add(tiny_gguf, model_id="tiny-chat")
    store.add(marian, model_id="tiny-en-de", tasks=["translate"])
    out = run_cli("hardware", "--json")
    assert out.returncode == 0, out.stderr
    devices = json.loads(out.stdout)["devices"]
    assert devices["models"] == {"tiny-chat": "CPU", "tiny-en-de": "CPU"}
    assert devices["onnx"] == "CPU" and devices["onnx_setting"] == "auto" and devices["gguf"] == "CPU"
    plain = run_cli("hardware").stdout
    assert "onnx device    CPU (setting: auto)" in plain and "tiny-en-de" in plain


def test_translate_says_in_one_line_that_the_chosen_device_is_missing(marian: Path) -> None:
    save_settings(Settings(onnx_provider="CUDAExecutionProvider"))  # the CPU wheel has no CUDA
    ModelStore().add(marian, model_id="tiny-en-de", tasks=["translate"])
    out = run_cli("translate", "-m", "tiny-en-de", "--from", "en", "--to", "de", "--json", "Hello world.")
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if "CUDA" in line]
    assert warnings == ["candeia-cli: WARNING: this ONNX Runtime has no CUDA support; running on the CPU "
                        "(install Candeia with the 'gpu' extra)"]
    result = json.loads(out.stdout)
    assert result["devices"] == ["CPU"] and result["text"].strip()
