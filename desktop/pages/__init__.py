"""The main window's pages, one module (or package) each."""
