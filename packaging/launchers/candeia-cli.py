"""Frozen entry point of `candeia-cli` (console)."""

from engines.system.streams import ensure_std_streams

ensure_std_streams()  # stdin/stdout may still be closed when started by another program

import sys  # noqa: E402

from engines.cli.main import main  # noqa: E402

sys.exit(main())
