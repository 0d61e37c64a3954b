"""The Chat page: conversation list, messages, composer, sampling and context budget."""

from desktop.pages.chat.page import ChatPage

__all__ = ["ChatPage"]
