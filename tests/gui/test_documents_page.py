"""The Documents page: create/remove, indexing with per-file status, pause/resume across a restart, cited answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QUrl
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.documents import DocumentsPage
from desktop.pages.documents.ask_panel import answer_html
from desktop.pages.documents.citations import open_source, source_label, source_url
from desktop.pages.documents.indexing import unfinished
from desktop.pages.documents.new_kb_dialog import NewKnowledgeBaseDialog, name_problem
from desktop.workers import Task, TaskRunner
from engines.kb.api import Hit

from .kb_fake import FakeBackend


class Harness:
    def __init__(self, qtbot: QtBot, backend: FakeBackend) -> None:
        self.qtbot = qtbot
        self.backend = backend
        self.ctx = AppContext()
        self.models = TaskRunner("fake model", 1)
        self.pages: list[DocumentsPage] = []

    def run_with_model(self, name: str, fn: Any) -> Task:
        return self.models.start(name, lambda cancel: fn(None, cancel))

    def page(self) -> DocumentsPage:
        page = DocumentsPage(self.ctx, backend=self.backend, model_runner=self.run_with_model)
        page.ensure_chat_model = lambda: True
        self.qtbot.addWidget(page)
        page.resize(1000, 700)
        page.show()
        self.pages.append(page)
        self.qtbot.waitUntil(lambda: not page.runner.busy, timeout=5000)
        return page

    def close(self) -> None:
        for page in self.pages:
            page.shutdown()
            page.close()
        self.models.shutdown()
        self.ctx.shutdown()
        QCoreApplication.processEvents()


@pytest.fixture
def harness(qtbot: QtBot) -> Iterator[Harness]:
    made = Harness(qtbot, FakeBackend())
    yield made
    if made.backend.gate is not None:
        made.backend.gate.set()
    made.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Lighthouse\n\nThe light flashes every ten seconds.\n" * 3, encoding="utf-8")
    (docs / "b.txt").write_text("Bees and honey " * 10, encoding="utf-8")
    (docs / "broken.bad").write_text("??", encoding="utf-8")
    return docs


def idle(qtbot: QtBot, page: DocumentsPage) -> None:
    qtbot.waitUntil(lambda: not page.indexer.running and not page.runner.busy, timeout=10_000)


def made_kb(qtbot: QtBot, page: DocumentsPage, name: str = "Manuals") -> None:
    page.create_kb(name, None)
    qtbot.waitUntil(lambda: page.current() == name, timeout=5000)
    idle(qtbot, page)


def test_empty_state_then_create_and_remove(harness: Harness, qtbot: QtBot) -> None:
    page = harness.page()
    assert page.stack.currentWidget() is page.empty and "Create one with New" in page.empty.text()
    assert not page.remove_button.isEnabled()
    with qtbot.waitSignal(page.knowledge_bases_changed, timeout=5000) as names:
        page.create_kb("Manuals", None)
    assert names.args == [["Manuals"]]
    qtbot.waitUntil(lambda: page.current() == "Manuals", timeout=5000)
    assert page.title.text() == "Manuals" and "0 files" in page.details.text()
    assert page.add_folder_button.isEnabled() and not page.cancel_button.isEnabled()
    page.create_kb("Manuals", None)  # a taken name: one line, nothing lost
    qtbot.waitUntil(lambda: "was not created" in page.progress_label.text(), timeout=5000)
    assert "exists already" in page.progress_label.text()
    page.remove_current(confirm=False)
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty, timeout=5000)
    assert harness.backend.kbs == {}


def test_indexing_shows_each_file_and_why_one_was_skipped(harness: Harness, qtbot: QtBot, folder: Path) -> None:
    page = harness.page()
    made_kb(qtbot, page)
    assert page.add_paths([folder])
    idle(qtbot, page)
    assert "Done: 2 indexed, 0 unchanged, 1 skipped, 0 removed" in page.progress_label.text()
    assert page.files.rowCount() == 3
    assert page.files.status_of(str(folder / "a.md")) == "Indexed"
    assert page.files.status_of(str(folder / "broken.bad")) == "Skipped"
    row = page.files._rows[str(folder / "broken.bad")]
    reason = page.files.item(row, 3)
    assert reason is not None and reason.text() == "not a format Candeia reads"
    assert "3 files" in page.details.text()
    assert page.rescan()  # nothing changed: every file is unchanged, nothing re-indexed
    idle(qtbot, page)
    assert "0 indexed, 2 unchanged" in page.progress_label.text()


def test_pause_survives_a_restart_and_resume_finishes(harness: Harness, qtbot: QtBot, folder: Path) -> None:
    backend = harness.backend
    backend.gate = threading.Event()
    page = harness.page()
    made_kb(qtbot, page)
    page.add_paths([folder])
    assert backend.reached_gate.wait(5)
    assert page.pause_button.text() == "Pause" and page.pause_button.isEnabled()
    first = str(folder / "a.md")
    qtbot.waitUntil(lambda: page.files.status_of(first) == "Indexed", timeout=5000)  # before the run ends
    assert page.indexer.running and page.files.rowCount() == 1
    page.pause_button.click()
    backend.gate.set()
    idle(qtbot, page)
    assert "Paused" in page.progress_label.text()
    assert unfinished() == {"Manuals"} and page.pause_button.text() == "Resume"
    assert len(backend.kbs["Manuals"]) == 1, "the file done before the pause stays indexed"

    backend.gate = None
    page.shutdown()
    again = harness.page()  # as after a restart: the unfinished run is offered
    qtbot.waitUntil(lambda: again.current() == "Manuals", timeout=5000)
    idle(qtbot, again)
    assert "interrupted" in again.progress_label.text() and again.pause_button.text() == "Resume"
    again.pause_button.click()
    idle(qtbot, again)
    assert "Done: 1 indexed, 1 unchanged, 1 skipped" in again.progress_label.text(), "the paused file is not redone"
    assert unfinished() == set() and again.pause_button.text() == "Pause"
    assert len(backend.kbs["Manuals"]) == 3


def test_cancel_keeps_what_was_indexed_and_offers_no_resume(harness: Harness, qtbot: QtBot, folder: Path) -> None:
    harness.backend.gate = threading.Event()
    page = harness.page()
    made_kb(qtbot, page)
    page.add_paths([folder])
    assert harness.backend.reached_gate.wait(5)
    page.cancel_button.click()
    harness.backend.gate.set()
    idle(qtbot, page)
    assert "Cancelled" in page.progress_label.text()
    assert unfinished() == set() and page.pause_button.text() == "Pause"


def test_answer_streams_with_numbered_sources_that_open_at_their_page(
        harness: Harness, qtbot: QtBot, tmp_path: Path) -> None:
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    harness.backend.hits = [Hit(1, str(pdf), 3, "Signals > Fog", "two blasts every sixty seconds", 0.9)]
    page = harness.page()
    made_kb(qtbot, page)
    opened: list[QUrl] = []
    page.ask.sources.opener = lambda url: opened.append(url) or True
    page.ask.question.setText("How often does the horn sound?")
    page.ask.button.click()
    qtbot.waitUntil(lambda: page.ask_task is None, timeout=5000)
    assert "ten seconds" in page.ask.answer.toPlainText()
    html = page.ask.answer.toHtml()
    assert 'href="cite:1"' in html and "cite:7" not in html, "only real sources become links"
    assert "&lt;b&gt;" in answer_html(harness.backend.answer_text, 1), "the model's text is never HTML"
    assert [b.text() for b in page.ask.sources.buttons] == ["[1] manual.pdf · page 3 · Signals > Fog"]
    page.ask.sources.buttons[0].click()
    assert opened and opened[0].toLocalFile() == str(pdf) and opened[0].fragment() == "page=3"
    page.ask._cite_clicked(QUrl("cite:1"))
    assert len(opened) == 2


def test_nothing_found_says_so(harness: Harness, qtbot: QtBot) -> None:
    page = harness.page()
    made_kb(qtbot, page)
    page.ask_question("What is the capital of Mars?")
    qtbot.waitUntil(lambda: page.ask_task is None, timeout=5000)
    assert "Nothing in these documents answers that." in page.ask.status.text()
    assert page.ask.sources.isHidden()


def test_asking_without_a_chat_model_says_what_to_do(harness: Harness, qtbot: QtBot) -> None:
    page = harness.page()
    made_kb(qtbot, page)
    page.ensure_chat_model = lambda: False
    assert page.ask_question("anything") is None
    assert "chat model" in page.ask.status.text()


def test_citation_helpers(tmp_path: Path) -> None:
    assert source_url("/d/a.pdf", 4).fragment() == "page=4"
    assert source_url("/d/a.md", 4).fragment() == "", "only PDF viewers understand #page"
    hit = Hit(1, str(tmp_path / "gone.pdf"), None, "", "text", 0.5)
    assert source_label(2, hit) == "[2] gone.pdf"
    assert "no longer there" in open_source(hit, lambda url: True)
    (tmp_path / "gone.pdf").write_bytes(b"x")
    assert open_source(hit, lambda url: False) == "No application opens gone.pdf."


def test_knowledge_base_names_are_checked() -> None:
    assert name_problem("", []) and name_problem("a/b", []) and name_problem("Notes", ["notes"])
    assert name_problem("Manuais de 2024", ["Notes"]) == ""


def test_new_dialog_offers_the_embedding_models_and_refuses_a_bad_name(qtbot: QtBot) -> None:
    dialog = NewKnowledgeBaseDialog([("multilingual-e5-small", "Multilingual E5 small")], ["Notes"])
    qtbot.addWidget(dialog)
    assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [
        "Automatic (a multilingual model first)", "Multilingual E5 small"]
    dialog.name.setText("notes")
    dialog._accept()
    assert dialog.result() == 0 and "exists already" in dialog.problem.text()
    dialog.name.setText("Manuais")
    dialog.model.setCurrentIndex(1)
    dialog._accept()
    assert dialog.result() == 1 and dialog.chosen() == ("Manuais", "multilingual-e5-small")
