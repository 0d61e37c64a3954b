"""Candeia's GUI-free core: model cards, store, validation, engines, CLI.

Nothing in this package may import Qt or `desktop` (enforced by an import-linter contract).
Importing it first sets huggingface_hub's privacy switches (hub_env) and, when the test-only
CANDEIA_SOCKET_AUDIT is set, guards this process's sockets (socket_audit).
"""

import os as _os

from engines.security import hub_env as _hub_env

__version__ = "0.1.0"

_hub_env.apply()
if _os.environ.get("CANDEIA_SOCKET_AUDIT"):
    from engines.security.socket_audit import install_from_env as _install_audit

    _install_audit()
