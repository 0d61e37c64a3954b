"""Candeia's GUI-free core: model cards, store, validation, engines, CLI.

Nothing in this package may import Qt or `desktop` (enforced by an import-linter contract).
"""

__version__ = "0.1.0"
