"""What the model commands print about a model: its JSON with --json, else one line for a person."""

from __future__ import annotations

import json

from engines.store.model_store import InstalledModel


def print_model(model: InstalledModel, as_json: bool, line: str) -> int:
    """Print `model` as JSON or `line`; returns 0, the command's exit status."""
    print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False) if as_json else line)
    return 0
