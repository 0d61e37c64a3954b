"""The Documents page: knowledge bases over the user's own files, indexed and asked with cited answers."""

from desktop.pages.documents.page import DocumentsPage

__all__ = ["DocumentsPage"]
