"""Errors the core raises for users to read.

Each error carries one sentence fit for a person (`str(err)`); the CLI prints it as is,
the GUI shows it in a dialog. Like huggingface_hub's errors, they also inherit the
builtin that best describes them so callers can catch either.
"""

from __future__ import annotations


class CandeiaError(Exception):
    """Base class: an error with a message meant for the user."""


class InvalidModelFileError(CandeiaError, ValueError):
    """A model file is malformed, truncated, unsupported or otherwise unsafe to load."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelNotFoundError(CandeiaError, LookupError):
    """Neither an installed model id nor an existing path."""


class ModelLoadError(CandeiaError, RuntimeError):
    """The engine could not load a model that passed validation."""


class StoreError(CandeiaError, OSError):
    """The model store could not be read or written."""


class CardError(CandeiaError, ValueError):
    """A model card does not match the schema."""


class TemplateError(CandeiaError, ValueError):
    """A chat template could not be rendered."""


class GenerationError(CandeiaError, RuntimeError):
    """Text generation failed part way."""


class EngineClosedError(CandeiaError, RuntimeError):
    """A job was sent to a model that has been unloaded."""


class UsageError(CandeiaError, ValueError):
    """Command-line arguments that parse but make no sense (exit code 2)."""


class EngineCrashedError(CandeiaError, RuntimeError):
    """The process that ran a model died (a signal, out of memory, a hang the watchdog ended).

    `kind` is one of "crashed", "oom", "killed", "hung", "exited"; `detail` names the signal or the
    exit code. The app itself is unharmed; loading the model again starts a new process.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(crash_sentence(kind, detail))


def crash_sentence(kind: str, detail: str) -> str:
    if kind == "crashed":
        return f"the model process crashed ({detail})"
    if kind == "oom":
        return "the model process ran out of memory"
    if kind == "killed":
        return f"the model process was killed ({detail}); the computer may have run out of memory"
    if kind == "hung":
        return "the model process stopped responding and was ended"
    return f"the model process ended unexpectedly ({detail})"
