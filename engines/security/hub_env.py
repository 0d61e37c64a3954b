"""huggingface_hub's own switches, set before anything can import it.

huggingface_hub reads these once, when it is first imported, so they are set when `engines` is
imported (every entry point, and every child process Candeia starts, imports it first). They
are forced, not defaulted: Candeia promises that nothing leaves the computer unasked.
"""

from __future__ import annotations

import os

SWITCHES = {
    # No telemetry; in 1.x this also stops the daily {endpoint}/api/agent-harnesses lookup and its
    # ~/.cache/huggingface/.agent_harnesses.json (huggingface_hub/utils/_headers.py).
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    # Never attach the stored token to a call Candeia did not give a token to (engines/download/tokens.py
    # decides which server gets one).
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    # The bytes come through Candeia's own transfer; no Xet storage client talking to other hosts.
    "HF_HUB_DISABLE_XET": "1",
}


def apply() -> None:
    os.environ.update(SWITCHES)
