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
