"""Knowledge bases: indexing (formats, structure, incremental re-scan, bad files) and search."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engines.jobs import CancelToken
from engines.kb.api import IndexProgress, KnowledgeBaseError, create_kb, list_kbs, open_kb, remove_kb

MARKDOWN = """# Install

Candeia runs on Linux, macOS and Windows.

## Linux

Download the AppImage and make it executable with chmod.

## Windows

Run the setup program; the zebra installer asks no questions.

# Usage

Open the Chat page and pick a model.
"""


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "notes.txt").write_text("The station is near the harbour.\n\nTrains leave every hour.\n",
                                      encoding="utf-8")
    (folder / "sub" / "tool.py").write_text("def quokka_count(x):\n    return x + 1\n", encoding="utf-8")
    (folder / "sub" / "page.html").write_text(
        "<html><head><script>var x=1;</script></head><body><h1>Harbour</h1><p>Boats sail at dawn.</p>"
        "<h2>Fees</h2><p>Parking costs 12 reais.</p></body></html>", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.png").write_bytes(b"\x89PNG")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "secret.md").write_text("never indexed", encoding="utf-8")
    return folder


def test_add_search_and_rescan(encoder_folder: Path, docs: Path) -> None:
    events: list[IndexProgress] = []
    with create_kb("manuals", str(encoder_folder)) as kb:
        report = kb.add([docs], progress=events.append)
        by_name = {Path(f.path).name: f for f in report.files}
        assert set(by_name) == {"guide.md", "notes.txt", "tool.py", "page.html", "empty.txt"}
        assert by_name["empty.txt"].status == "skipped" and "0 bytes" in by_name["empty.txt"].reason
        assert all(by_name[n].status == "indexed" for n in ("guide.md", "notes.txt", "tool.py", "page.html"))
        assert events[-1].files_done == events[-1].files_total == 5 and events[-1].current == ""
        assert any(e.current.endswith("guide.md") and e.chunks_done for e in events)  # during a file
        finished = [e.finished for e in events if e.finished is not None]  # one per file, as it is committed
        assert finished == report.files and all(e.files_done >= 1 for e in events if e.finished)
        hits = kb.search("zebra installer", k=3, mode="bm25")
        assert hits[0].path.endswith("guide.md") and hits[0].heading == "Install > Windows"
        assert kb.search("quokka_count", k=1, mode="hybrid")[0].path.endswith("tool.py")
        html = kb.search("parking reais", k=1, mode="bm25")[0]
        assert html.heading == "Harbour > Fees" and "var x" not in html.text
        assert len(kb.search("harbour", k=2, mode="vector")) == 2
        status = kb.status()
        assert status.files == 5 and status.chunks == report.chunks and status.dimensions == 32

        again = kb.rescan()
        assert again.count("unchanged") == 4 and again.count("indexed") == 0
        (docs / "notes.txt").write_text("Ferries leave every hour.\n", encoding="utf-8")
        (docs / "sub" / "tool.py").unlink()
        os.utime(docs / "guide.md")  # mtime only: hashed, not embedded again
        third = kb.rescan()
        kinds = {Path(f.path).name: f.status for f in third.files}
        assert kinds["notes.txt"] == "indexed" and kinds["tool.py"] == "removed" and kinds["guide.md"] == "unchanged"
        assert kb.search("ferries", k=1, mode="bm25")[0].path.endswith("notes.txt")
        assert not kb.search("quokka_count", k=5, mode="bm25")
    assert [s.name for s in list_kbs()] == ["manuals"]
    remove_kb("manuals")
    assert list_kbs() == []


def test_names_and_missing(encoder_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not a usable name"):
        create_kb("../evil", str(encoder_folder))
    with pytest.raises(KnowledgeBaseError, match="no knowledge base named"):
        open_kb("nothing")
    create_kb("one", str(encoder_folder)).close()
    with pytest.raises(KnowledgeBaseError, match="already exists"):
        create_kb("one", str(encoder_folder))
    with open_kb("one") as kb:
        report = kb.add([tmp_path / "missing.md"])
    assert report.files[0].status == "failed" and report.files[0].reason == "does not exist"


def test_a_missing_embedding_model_stops_the_run(encoder_folder: Path, docs: Path, tmp_path: Path) -> None:
    import shutil

    from engines.errors import ModelNotFoundError

    copy = tmp_path / "encoder-copy"
    shutil.copytree(encoder_folder, copy)
    with create_kb("orphan", str(copy)) as kb:
        shutil.rmtree(copy)
        with pytest.raises(ModelNotFoundError):
            kb.add([docs])
        assert kb.status().files == 1  # only empty.txt, recorded before the model was needed


def test_cancel_keeps_committed_files(encoder_folder: Path, docs: Path) -> None:
    cancel = CancelToken()

    def stop_after_first(event: IndexProgress) -> None:
        if event.files_done >= 2:  # empty.txt (skipped), then guide.md
            cancel.cancel()

    with create_kb("partial", str(encoder_folder)) as kb:
        first = kb.add([docs], progress=stop_after_first, cancel=cancel)
        assert first.cancelled and 1 <= first.count("indexed") < 4
        resumed = kb.rescan()
        assert resumed.count("unchanged") == first.count("indexed") and resumed.count("skipped") == 1
        assert kb.status().files == 5


def test_a_huge_text_file_is_skipped_with_its_size(encoder_folder: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDEIA_KB_MAX_FILE_MB", "1")
    big = tmp_path / "huge.log"
    with big.open("w", encoding="utf-8") as fh:
        for _ in range(3):
            fh.write("line of a large log file\n" * 50_000)
    with create_kb("big", str(encoder_folder)) as kb:
        outcome = kb.add([big]).files[0]
    assert outcome.status == "skipped" and "over the 1 MB limit" in outcome.reason
    assert "CANDEIA_KB_MAX_FILE_MB" in outcome.reason
