"""Which device a model runs on, or would run on, in one short phrase for the CLI and the status bar.

Loaded models say it themselves (`device`): an ONNX engine names the providers its sessions got, a
llama.cpp engine "CPU" or "GPU (CUDA, 12/25 layers)". Before a load, the same phrase is worked out
from the settings: the ONNX Runtime provider plan, and for GGUF the GPU layers against the model's
layer count (llama.cpp counts the output layer too: a 24-block model has 25 to offload).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelDevice:
    """A loaded model and where it runs; `failed` names the providers that did not start ("CUDA")."""

    model: str
    device: str
    failed: tuple[str, ...] = ()


def model_device(name: str, engine: object) -> ModelDevice | None:
    from engines.onnx.providers import DeviceReport

    device = device_of(engine)
    if device is None:
        return None
    report = getattr(engine, "device_report", None)
    return ModelDevice(name, device, tuple(report.failed) if isinstance(report, DeviceReport) else ())


def device_of(engine: object) -> str | None:
    """A loaded engine's device, when it says one (ONNX engines; llama.cpp engines with `device`)."""
    value = getattr(engine, "device", None)
    return value if isinstance(value, str) and value else None


def notice_of(engine: object) -> str | None:
    """The one line an engine keeps when its chosen device could not start (an ONNX provider fallback)."""
    value = getattr(engine, "device_notice", None)
    return value if isinstance(value, str) and value else None


def llama_device(gpu_layers: int, block_count: int | None, offload: bool | None, backend: str | None) -> str:
    """Where llama.cpp would put a model: `gpu_layers` as in Settings (-1: all), `offload` whether this
    build can offload at all (None: unknown), `backend` its GPU backend's name when known."""
    if gpu_layers == 0 or offload is False:
        return "CPU"
    name = f"{backend}, " if backend else ""
    if block_count is None:
        layers = "all layers" if gpu_layers < 0 else f"{gpu_layers} layers"
        return f"GPU ({name}{layers})"
    total = block_count + 1
    placed = total if gpu_layers < 0 else min(gpu_layers, total)
    return f"GPU ({name}{placed}/{total} layers)"


def onnx_device(choice: str, available: list[str]) -> str:
    """Where ONNX Runtime would run a model with the Settings choice, e.g. "CUDA" or "CPU"."""
    from engines.onnx.providers import label, plan_providers

    plan = plan_providers(choice, available)
    return label(plan.providers[0])


@dataclass(frozen=True)
class DeviceSettings:
    """What the device phrases depend on, read once (settings, ONNX Runtime, llama.cpp's build)."""

    onnx_choice: str
    onnx_available: list[str]
    gpu_layers: int
    llama_offload: bool | None
    llama_backend: str | None

    @property
    def onnx(self) -> str:
        return onnx_device(self.onnx_choice, self.onnx_available)

    def gguf(self, block_count: int | None) -> str:
        return llama_device(self.gpu_layers, block_count, self.llama_offload, self.llama_backend)


def current_device_settings(gpu_layers: int | None = None) -> DeviceSettings:
    """Read the settings and ask both runtimes (imports llama.cpp and ONNX Runtime)."""
    from engines.onnx.providers import available_providers
    from engines.settings import load_settings

    settings = load_settings()
    offload, backend = llama_gpu()
    return DeviceSettings(settings.onnx_provider, available_providers(),
                          settings.gpu_layers if gpu_layers is None else gpu_layers, offload, backend)


def llama_gpu() -> tuple[bool | None, str | None]:
    """(can this llama.cpp build offload, its GPU backend's name); (None, None) when it cannot be asked."""
    try:
        from engines.llama.backends import devices, gpu_backend
        from engines.llama.native import llama_cpp_module

        module = llama_cpp_module()
        offload = bool(module.llama_supports_gpu_offload())
        return offload, gpu_backend(devices(module)) if offload else None
    except Exception:  # the native library may fail to load on an odd machine
        return None, None
