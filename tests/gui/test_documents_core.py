"""The Documents page on the real knowledge-base core (a tiny random encoder): the adapter and the page agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from tiny_encoders import cached_encoder

from desktop.appcontext import AppContext
from desktop.pages.documents import DocumentsPage


def test_create_index_and_list_files_on_the_real_core(qtbot: QtBot, tmp_path: Path,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    encoder = cached_encoder(tmp_path_factory.getbasetemp())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("# Harbour\n\nBoats sail at dawn.\n\n## Fees\n\nParking costs 12 reais.\n",
                                   encoding="utf-8")
    (docs / "empty.txt").write_bytes(b"")
    ctx = AppContext()
    page = DocumentsPage(ctx)
    qtbot.addWidget(page)
    try:
        page.create_kb("Harbour", str(encoder))
        qtbot.waitUntil(lambda: page.current() == "Harbour", timeout=20_000)
        qtbot.waitUntil(lambda: not page.runner.busy, timeout=20_000)
        assert page.add_paths([docs])
        qtbot.waitUntil(lambda: not page.indexer.running and not page.runner.busy, timeout=60_000)
        assert "Done: 1 indexed, 0 unchanged, 1 skipped" in page.progress_label.text()
        assert page.files.status_of(str(docs / "guide.md")) == "Indexed"
        assert page.files.status_of(str(docs / "empty.txt")) == "Skipped"
        reason = page.files.item(page.files._rows[str(docs / "empty.txt")], 3)
        assert reason is not None and reason.text() == "is empty (0 bytes)"
        assert "2 files" in page.details.text() and Path(str(encoder)).name in page.details.text()
    finally:
        page.shutdown()
        ctx.shutdown()
        page.close()
        QCoreApplication.processEvents()
