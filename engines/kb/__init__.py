"""Knowledge bases: index your own documents and ask them, with cited answers (engines/kb/api.py)."""
