"""`candeia-cli`: the same core API as the GUI, from a terminal or a script."""
