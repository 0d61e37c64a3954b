"""The Documents page: knowledge bases over the user's own files, indexed and asked with cited answers."""

from .page import DocumentsPage

__all__ = ["DocumentsPage"]
