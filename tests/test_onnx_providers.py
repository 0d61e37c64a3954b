"""The ONNX Runtime device chosen in Settings reaches every session, and a provider that cannot start
falls back to the CPU with one line (engines/onnx/providers.py, engines/onnx/session.py).

No GPU here: the CPU wheel lists CPU (and Azure) only. A provider that is listed but does not start is
simulated by listing CUDA as available while the real ONNX Runtime cannot create it (it leaves it out
of the session), and by an InferenceSession that raises for anything but the CPU."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import engines.onnx.providers
import engines.onnx.session
from engines.errors import InvalidModelFileError
from engines.hardware.devices import ModelDevice, llama_device, onnx_device
from engines.onnx.providers import COREML, CPU, CUDA, DIRECTML, TENSORRT, DeviceReport, plan_providers
from engines.onnx.session import make_session, ort_module
from engines.settings import Settings, save_settings

CPU_WHEEL = ["AzureExecutionProvider", CPU]


def _tiny_model(path: Path) -> Path:
    """y = x + 1, the smallest model ONNX Runtime will run."""
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    node = helper.make_node("Add", ["x", "one"], ["y"])
    graph = helper.make_graph([node], "add", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return _tiny_model(tmp_path / "add.onnx")


@pytest.fixture(autouse=True)
def fresh_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its fallback line said once, whatever earlier tests said."""
    monkeypatch.setattr(engines.onnx.providers, "_said", set())


def _choose(provider: str) -> None:
    save_settings(Settings(onnx_provider=provider))


def _list_as_available(monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    for module in (engines.onnx.providers, engines.onnx.session):
        monkeypatch.setattr(module, "available_providers", lambda: [*extra, *CPU_WHEEL])


class RefusingSession:
    """ONNX Runtime's InferenceSession, except that any provider but the CPU fails to start."""

    calls: ClassVar[list[list[str]]] = []

    def __new__(cls, path: str, options: Any, providers: list[str], **kwargs: Any) -> Any:
        cls.calls.append(list(providers))
        assert kwargs.get("enable_fallback") == 0  # ORT's own fallback prints to stdout
        if providers[0] != CPU:
            raise RuntimeError(f"{providers[0]} failed: no device found\nsecond line of detail")
        return ort_module().capi.onnxruntime_inference_collection.InferenceSession(path, options,
                                                                                    providers=providers, **kwargs)


# -- the plan ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("choice", "available", "expected"), [
    ("auto", CPU_WHEEL, [CPU]),
    ("auto", [TENSORRT, CUDA, CPU], [CUDA, CPU]),  # TensorRT only when picked: engine builds take minutes
    ("auto", [DIRECTML, CPU], [DIRECTML, CPU]),
    ("auto", [COREML, CPU], [CPU]),  # in every macOS wheel: used when picked, not by "auto"
    (COREML, [COREML, CPU], [COREML, CPU]),
    (CUDA, [CUDA, CPU], [CUDA, CPU]),
    (TENSORRT, [TENSORRT, CUDA, CPU], [TENSORRT, CUDA, CPU]),
    (CPU, [CUDA, CPU], [CPU]),
])
def test_plan_ends_with_the_cpu(choice: str, available: list[str], expected: list[str]) -> None:
    plan = plan_providers(choice, available)
    assert plan.providers == expected
    assert plan.notice is None


def test_a_provider_this_onnx_runtime_lacks_is_one_line_and_the_cpu() -> None:
    plan = plan_providers(CUDA, CPU_WHEEL)
    assert plan.providers == [CPU]
    assert plan.notice == "this ONNX Runtime has no CUDA support; running on the CPU (install Candeia with the " \
                          "'gpu' extra)"
    assert plan_providers(DIRECTML, CPU_WHEEL).notice == "this ONNX Runtime has no DirectML support; running on the CPU"
    assert plan.missing == CUDA


def test_device_phrases() -> None:
    assert onnx_device("auto", CPU_WHEEL) == "CPU"
    assert onnx_device("auto", [CUDA, CPU]) == "CUDA"
    assert onnx_device(COREML, [COREML, CPU]) == "CoreML"
    assert llama_device(0, 24, True, "CUDA") == "CPU"
    assert llama_device(-1, 24, False, None) == "CPU"  # a CPU-only build offloads nothing
    assert llama_device(-1, 24, True, "CUDA") == "GPU (CUDA, 25/25 layers)"  # the output layer counts
    assert llama_device(12, 24, True, "Metal") == "GPU (Metal, 12/25 layers)"
    assert llama_device(99, 24, None, None) == "GPU (25/25 layers)"
    assert llama_device(-1, None, True, "Vulkan") == "GPU (Vulkan, all layers)"


# -- sessions ------------------------------------------------------------------------------------
def test_the_default_setting_gives_a_cpu_session_here(tiny: Path) -> None:
    report = DeviceReport()
    session = make_session(tiny, 1, report=report)
    assert session.get_providers()[0] == CPU
    assert report.device == "CPU"
    assert report.notices == []
    assert session.run(None, {"x": np.array([2.0], dtype=np.float32)})[0].tolist() == [3.0]


def test_a_listed_provider_that_does_not_start_falls_back_once(
        tiny: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The real ONNX Runtime, asked for CUDA it cannot create, leaves it out of the session."""
    _choose(CUDA)
    _list_as_available(monkeypatch, CUDA)
    report = DeviceReport()
    with caplog.at_level(logging.WARNING, logger="engines.onnx.providers"):
        first = make_session(tiny, 1, report=report)
        second = make_session(tiny, 1, report=report)
        make_session(tiny, 1)  # another model: still one line per process
    assert first.get_providers() == [CPU] and second.get_providers() == [CPU]
    assert report.device == "CPU"
    assert report.first_notice == "ONNX Runtime could not start CUDA; running on the CPU"
    assert report.failed == ["CUDA"]
    assert [r.getMessage() for r in caplog.records] == ["ONNX Runtime could not start CUDA; running on the CPU"]
    assert capsys.readouterr().out == ""  # ORT's own fallback banner would land in the CLI's output
    assert first.run(None, {"x": np.array([1.0], dtype=np.float32)})[0].tolist() == [2.0]


def test_a_provider_that_raises_falls_back_with_its_reason(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _choose(DIRECTML)
    _list_as_available(monkeypatch, DIRECTML)
    RefusingSession.calls = []
    monkeypatch.setattr(ort_module(), "InferenceSession", RefusingSession)
    report = DeviceReport()
    session = make_session(tiny, 1, report=report)
    assert RefusingSession.calls == [[DIRECTML, CPU], [CPU]]
    assert session.get_providers() == [CPU]
    assert report.first_notice == ("ONNX Runtime could not start DirectML (DmlExecutionProvider failed: no device "
                                   "found); running on the CPU")
    assert "\n" not in report.first_notice


def test_directml_sessions_have_no_memory_patterns(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def spy(path: str, options: Any, providers: list[str], **kwargs: Any) -> Any:
        seen.append(options.enable_mem_pattern)
        return RefusingSession(path, options, providers, **kwargs)

    monkeypatch.setattr(ort_module(), "InferenceSession", spy)
    make_session(tiny, 1, providers=[DIRECTML, CPU])
    make_session(tiny, 1, providers=[CPU])
    assert seen == [False, False, True]  # DirectML, its CPU retry, then a plain CPU session


def test_a_bad_file_is_a_bad_file_not_a_provider_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _choose(CUDA)
    _list_as_available(monkeypatch, CUDA)
    monkeypatch.setattr(ort_module(), "InferenceSession", RefusingSession)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    report = DeviceReport()
    with pytest.raises(InvalidModelFileError, match="ONNX Runtime cannot load it"):
        make_session(broken, 1, report=report)
    assert report.notices == []


def test_a_missing_provider_is_said_and_the_session_runs(tiny: Path) -> None:
    _choose(CUDA)  # the CPU wheel: CUDA is not even listed
    report = DeviceReport()
    session = make_session(tiny, 1, report=report)
    assert session.get_providers() == [CPU]
    assert report.first_notice is not None and "no CUDA support" in report.first_notice


# -- the setting reaches the engines -------------------------------------------------------------
class RecordingSession:
    """Records the providers each session was asked for, then lets the real ONNX Runtime decide."""

    asked: ClassVar[list[list[str]]] = []

    def __new__(cls, path: str, options: Any, providers: list[str], **kwargs: Any) -> Any:
        cls.asked.append(list(providers))
        return ort_module().capi.onnxruntime_inference_collection.InferenceSession(path, options,
                                                                                    providers=providers, **kwargs)


@pytest.fixture
def cuda_chosen(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    _choose(CUDA)
    _list_as_available(monkeypatch, CUDA)
    RecordingSession.asked = []
    monkeypatch.setattr(ort_module(), "InferenceSession", RecordingSession)
    return RecordingSession.asked


@pytest.fixture
def marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("optimum.exporters.onnx")
    from tiny_seq2seq import build_marian, cached

    return cached(tmp_path_factory.getbasetemp(), "marian", build_marian)[1]


# the models are built (with optimum, which opens sessions of its own) before the spy is in place
def test_translation_sessions_get_the_setting(marian: Path, cuda_chosen: list[list[str]]) -> None:
    from engines.store.model_store import ModelStore
    from engines.translate.api import TranslationService
    from engines.translate.engine import DecodeOptions

    folder = marian
    store = ModelStore()
    store.add(folder, model_id="tiny-en-de", tasks=["translate"])
    with TranslationService(store, options=DecodeOptions(num_beams=1, max_new_tokens=4)) as service:
        result = service.translate("Hello world.", target="de", source="en", model="tiny-en-de")
        assert service.loaded_devices() == {folder.name: "CPU"}
        engine = service.engine(folder)
    assert len(cuda_chosen) >= 2 and all(asked == [CUDA, CPU] for asked in cuda_chosen)  # encoder and decoders
    assert engine.device == "CPU"
    assert engine.device_notice == "ONNX Runtime could not start CUDA; running on the CPU"
    assert result.devices == ["CPU"] and result.text.strip()
    assert result.model_devices == [ModelDevice(folder.name, "CPU", ("CUDA",))]


@pytest.fixture
def prepared_captioner(tiny_captioner: Path) -> Path:
    """Opened once first: the decoder split and the int8 draft are made then, with CPU sessions of their own
    (a one-off graph analysis, not the model running)."""
    from engines.caption import open_captioner

    open_captioner(str(tiny_captioner / "onnx"), threads=1).close()
    return tiny_captioner / "onnx"


def test_captioning_sessions_get_the_setting(prepared_captioner: Path, cuda_chosen: list[list[str]]) -> None:
    from tiny_captioner import random_images

    from engines.caption import open_captioner
    from engines.caption.types import CaptionOptions

    captioner = open_captioner(str(prepared_captioner), threads=1)
    try:
        # encoder, cross-attention half, decoder step, int8 draft
        assert len(cuda_chosen) >= 3 and all(asked == [CUDA, CPU] for asked in cuda_chosen)
        assert getattr(captioner, "device", None) == "CPU"
        assert getattr(captioner, "device_notice", None) == "ONNX Runtime could not start CUDA; running on the CPU"
        caption = captioner.caption_images(random_images(1), CaptionOptions(max_new_tokens=4))[0]
        assert isinstance(caption, str)
    finally:
        captioner.close()


def test_a_new_device_setting_reloads_the_kept_translation_model(marian: Path) -> None:
    from engines.translate.api import TranslationService

    with TranslationService() as service:
        first = service.engine(marian)
        assert service.engine(marian) is first  # kept between runs
        _choose(CPU)
        second = service.engine(marian)
        assert second is not first and second.device == "CPU"
        assert service.engine(marian) is second


def test_remote_providers_are_never_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure's provider sends a model's inputs to a remote endpoint: never listed, never planned."""
    import onnxruntime

    from engines.hardware import machine as hardware

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: list(CPU_WHEEL))
    assert engines.onnx.providers.available_providers() == [CPU]
    assert hardware.onnx_providers() == [CPU]
