"""Which ONNX Runtime execution providers a session asks for, and what it got.

The Settings choice (`onnx_provider`: "auto" or a provider name) becomes an ordered provider list that
always ends with the CPU, so a GPU provider that is missing or fails to start leaves a working session.
Every fallback is said once per process in one line (a warning in the log, which the CLI prints), and
kept in the engine's `DeviceReport` so the GUI and `--json` output can show it too.

"auto" takes a GPU provider only where installing it was the user's choice: CUDA (the `gpu` extra,
onnxruntime-gpu) or DirectML (onnxruntime-directml). CoreML ships in every macOS wheel and runs the
dynamic-shape decoders of translation and captioning partly on the CPU with copies between the two,
so it is used when picked in Settings, not by "auto".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
DIRECTML = "DmlExecutionProvider"
COREML = "CoreMLExecutionProvider"
AUTO = "auto"
AUTO_ORDER = (CUDA, DIRECTML)

# the names people know; any other provider shows its name without the suffix
_LABELS = {CPU: "CPU", CUDA: "CUDA", TENSORRT: "TensorRT", DIRECTML: "DirectML", COREML: "CoreML",
           "ROCMExecutionProvider": "ROCm", "MIGraphXExecutionProvider": "MIGraphX",
           "OpenVINOExecutionProvider": "OpenVINO", "QNNExecutionProvider": "QNN"}

_said: set[str] = set()
_said_lock = threading.Lock()


def label(provider: str) -> str:
    return _LABELS.get(provider, provider.removesuffix("ExecutionProvider"))


# Providers that run a model on someone else's computer (Azure's sends the inputs to a remote endpoint):
# never offered, never chosen, whatever the installed ONNX Runtime lists.
REMOTE_PROVIDERS = frozenset({"AzureExecutionProvider"})


def available_providers() -> list[str]:
    """The local execution providers the installed ONNX Runtime offers."""
    try:
        import onnxruntime
    except ImportError:
        return []
    return [p for p in onnxruntime.get_available_providers() if p not in REMOTE_PROVIDERS]


def configured_choice() -> str:
    """The Settings choice; a damaged settings file reads as the default ("auto")."""
    from engines.settings import load_settings

    return load_settings().onnx_provider


@dataclass(frozen=True)
class ProviderPlan:
    providers: list[str]
    notice: str | None = None  # set when the choice cannot be honoured at all (not installed)
    missing: str | None = None  # the provider named in the notice


def plan_providers(choice: str, available: Sequence[str]) -> ProviderPlan:
    """The providers to ask for, best first, ending with the CPU."""
    if choice == AUTO:
        wanted = next((p for p in AUTO_ORDER if p in available), None)
    else:
        wanted = None if choice == CPU else choice
    if wanted is None:
        return ProviderPlan([CPU])
    if wanted not in available:
        hint = " (install Candeia with the 'gpu' extra)" if wanted in (CUDA, TENSORRT) else ""
        return ProviderPlan([CPU], f"this ONNX Runtime has no {label(wanted)} support; running on the CPU{hint}",
                            wanted)
    chain = [wanted]
    if wanted == TENSORRT and CUDA in available:  # nodes TensorRT cannot take go to CUDA before the CPU
        chain.append(CUDA)
    return ProviderPlan([*chain, CPU])


def fallback_message(provider: str, reason: str | None = None) -> str:
    because = f" ({reason})" if reason else ""
    return f"ONNX Runtime could not start {label(provider)}{because}; running on the CPU"


def say_once(message: str) -> None:
    """Log a fallback once per process (every session of every model would repeat it otherwise)."""
    with _said_lock:
        if message in _said:
            return
        _said.add(message)
    log.warning("%s", message)


@dataclass
class DeviceReport:
    """What one model's sessions got: make_session fills it, the engine's `device` reads it."""

    used: list[str] = field(default_factory=list)  # per session, the provider it runs on first
    notices: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # labels of the providers that did not start ("CUDA")

    def session(self, providers: Sequence[str]) -> None:
        self.used.append(providers[0] if providers else CPU)

    def notice(self, message: str, provider: str) -> None:
        if message not in self.notices:
            self.notices.append(message)
        if label(provider) not in self.failed:
            self.failed.append(label(provider))
        say_once(message)

    @property
    def device(self) -> str:
        """"CUDA", "CPU", or "CUDA, CPU" when the sessions of one model ended up on different devices."""
        labels = list(dict.fromkeys(label(p) for p in self.used))
        return ", ".join(labels) if labels else "CPU"

    @property
    def first_notice(self) -> str | None:
        return self.notices[0] if self.notices else None
