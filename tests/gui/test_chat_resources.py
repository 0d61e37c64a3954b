"""A chat reply never makes the app open a local file or a network share (issue 15, finding 6).

A FIFO shows whether anything opened a path: a writer opening it without blocking succeeds only
while a reader has it open, and closing the writer then releases that reader, so a regression
fails the test instead of freezing it (a FIFO nobody writes to froze the window).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.pages.chat.message_view import MessageWidget, ReplyLabel
from desktop.pages.chat.safe_markdown import open_link, safe_rich_text

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


_WATCH = """
import os, sys, time
path, log = sys.argv[1], sys.argv[2]
while True:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: nobody is reading
        time.sleep(0.005)
        continue
    with open(log, "a") as out:
        out.write("opened\\n")
    os.close(fd)  # the reader sees end of file and goes on
"""


class FifoWatch:
    """Counts how often something opened the FIFO for reading. It is another process: a Qt call
    holds the GIL, so a thread of this one could not release a blocked reader."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._log = path.with_suffix(".log")
        self._log.touch()
        self._process = subprocess.Popen([sys.executable, "-c", _WATCH, str(path), str(self._log)])

    @property
    def opened(self) -> int:
        return self._log.read_text().count("opened")

    def stop(self) -> None:
        self._process.kill()
        self._process.wait(timeout=10)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[FifoWatch]:
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    watch = FifoWatch(path)
    yield watch
    watch.stop()


def _replies(fifo: Path) -> list[str]:
    url = fifo.as_uri()
    return [
        f"Look: ![a picture]({url}) and more text.",
        f"![ref image][pic]\n\n[pic]: {url}",
        f'Raw HTML: <img src="{url}"> inline.',
        f'<table background="{url}"><tr><td>cell</td></tr></table>',
        f'<p style="background-image: url({url})">styled</p>',
        "A share: ![x](file://host/share/x.png) and <img src=\"file://host/share/y.png\">",
        "| a | b |\n|---|---|\n| ![c](" + url + ") | d |",
    ]


@pytest.mark.timeout(60)
def test_a_reply_with_images_opens_no_file(qtbot: QtBot, fifo: FifoWatch) -> None:
    for text in _replies(fifo.path):
        widget = MessageWidget("assistant", text)
        qtbot.addWidget(widget)
        widget.resize(500, 300)
        widget.show()
        widget.grab()  # lays out and paints: where a label would load its images
        QApplication.processEvents()
        labels = widget.findChildren(ReplyLabel)
        assert labels and widget.text == text  # the Markdown itself is kept
    time.sleep(0.1)
    assert fifo.opened == 0


@pytest.mark.timeout(60)
def test_streamed_reply_with_an_image_opens_no_file(qtbot: QtBot, fifo: FifoWatch) -> None:
    widget = MessageWidget("assistant")
    qtbot.addWidget(widget)
    widget.streaming = True
    widget.show()
    for piece in ("Here ", "is ", f"![img]({fifo.path.as_uri()})", " done."):
        widget.append(piece)
        qtbot.wait(5)
        widget.grab()
    widget.set_text(widget.text)
    widget.grab()
    time.sleep(0.1)
    assert fifo.opened == 0


def test_rich_text_names_no_resource_and_keeps_the_rest(qapp: QApplication) -> None:
    for text in [*_replies(Path("/tmp/pipe.png")), "![](file://host/share/x.png)"]:
        rich = safe_rich_text(text, qapp.font())
        assert rich is not None
        lowered = rich.lower()
        assert "file:" not in lowered and "<img" not in lowered and "url(" not in lowered
    rich = safe_rich_text("**bold** and [a link](https://example.org) ![the alt](file:///x.png)", qapp.font())
    assert rich is not None
    assert "<a href=\"https://example.org\"" in rich and "font-weight" in rich and "the alt" in rich


def test_only_web_and_mail_links_open(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url.toString())
        return True

    monkeypatch.setattr("desktop.pages.chat.safe_markdown.QDesktopServices.openUrl", open_url)
    for link in ("file:///etc/passwd", "file://host/share/x.png", "smb://host/share", "javascript:alert(1)", "x"):
        assert open_link(link) is False
    assert open_link("https://example.org/a") is True
    assert opened == ["https://example.org/a"]


def test_plain_replies_stay_markdown(qtbot: QtBot) -> None:
    widget = MessageWidget("assistant", "Some **bold** text")
    qtbot.addWidget(widget)
    label = widget.findChildren(ReplyLabel)[0]
    assert label.textFormat() == Qt.TextFormat.MarkdownText
    assert label.text() == "Some **bold** text"


@pytest.mark.timeout(60)
def test_an_error_quoting_the_model_loads_nothing(qtbot: QtBot, fifo: FifoWatch) -> None:
    """A template's raise_exception() text reaches the reply's error line; a model's name, the
    status bar. Both come from the model file, so they are plain text."""
    widget = MessageWidget("assistant", "partial")
    qtbot.addWidget(widget)
    widget.set_error(f'the model\'s chat template refused the conversation: <img src="{fifo.path.as_uri()}">')
    widget.show()
    widget.grab()
    assert widget.error.textFormat() == Qt.TextFormat.PlainText and "<img" in widget.error.text()
    time.sleep(0.1)
    assert fifo.opened == 0


def test_a_conversation_title_is_escaped_in_its_tooltip(qtbot: QtBot, tmp_path: Path) -> None:
    from desktop.pages.chat.conversation_list import ConversationList
    from engines.chat.conversations import ConversationStore

    store = ConversationStore(tmp_path / "c.sqlite3")
    store.create('<img src="file://host/share/x.png"> & more')
    conversations = ConversationList(store)
    qtbot.addWidget(conversations)
    conversations.refresh()
    item = conversations.list.item(0)
    assert item.text() == '<img src="file://host/share/x.png"> & more'
    assert item.toolTip() == "<p>&lt;img src=&quot;file://host/share/x.png&quot;&gt; &amp; more</p>"
    store.close()
