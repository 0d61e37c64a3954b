"""`candeia-cli`: the same core API as the GUI, from a terminal or a script.

The exit statuses live here, where main.py and every command can import them without importing
each other (a command's module loads only when that command runs).
"""

EXIT_ERROR = 1
EXIT_SOME_FAILED = 1  # a batch finished, but some of its items failed
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
