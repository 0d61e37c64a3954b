"""Frozen entry point of `candeia` (windowed): streams first, then the app."""

from engines.system.streams import ensure_std_streams

ensure_std_streams()  # a windowed build starts with sys.stdout/stderr = None; llama_cpp writes to them

import sys  # noqa: E402

from desktop.app import main  # noqa: E402

sys.exit(main())
