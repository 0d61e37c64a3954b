"""The Chat page: conversation list, messages, composer, sampling and context budget."""

from .page import ChatPage

__all__ = ["ChatPage"]
