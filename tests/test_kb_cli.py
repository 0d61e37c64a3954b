"""`candeia-cli kb`: the whole round trip on tiny models, `--json` shapes, and crash safety (kill -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engines.cli.main import main
from engines.kb.api import open_kb
from tests_support import PROJECT_ROOT


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.md").write_text("# Harbour\n\nThe boats sail at dawn from pier seven.\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    return folder


def test_round_trip(encoder_folder: Path, docs: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "create", "port", "-m", str(encoder_folder)]) == 0
    assert main(["kb", "add", "port", str(docs), "--json"]) == 1  # the broken PDF fails; the rest goes on
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    status = {Path(x["path"]).name: x for x in lines}
    assert status["harbour.md"]["status"] == "indexed"
    assert status["empty.txt"]["status"] == "skipped" and "0 bytes" in status["empty.txt"]["reason"]
    assert status["broken.pdf"]["status"] == "failed" and "PDF" in status["broken.pdf"]["reason"]

    assert main(["kb", "status", "port", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["files"] == 3 and info["chunks"] == 1 and len(info["problems"]) == 2

    assert main(["kb", "search", "port", "pier seven", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["heading"] == "Harbour" and "pier seven" in hits[0]["text"]

    assert main(["kb", "ask", "port", "When do the boats sail?", "-m", str(tiny_gguf), "--max-tokens", "4",
                 "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"answer", "sources"} and answer["sources"][0]["path"].endswith("harbour.md")
    assert set(answer["sources"][0]) == {"path", "page", "heading", "text", "score"}

    with open_kb("port") as kb:  # a random encoder finds every pair similar: only keywords can tell here
        kb.index.set_meta("min_similarity", "1.01")
    assert main(["kb", "ask", "port", "xylophone quantum", "-m", str(tiny_gguf), "--json"]) == 0
    nothing = json.loads(capsys.readouterr().out)
    assert nothing["sources"] == [] and "nothing relevant" in nothing["answer"]

    assert main(["kb", "list", "--json"]) == 0
    assert [k["name"] for k in json.loads(capsys.readouterr().out)] == ["port"]
    assert main(["kb", "remove", "port"]) == 0
    assert main(["kb", "status", "port"]) == 1
    assert "no knowledge base named 'port'" in capsys.readouterr().err


_INDEXER = """
import sys, time
from pathlib import Path
import engines.kb.indexing as indexing
from engines.kb.api import open_kb
real = indexing._Run._write
def slow(self, *args):
    n = real(self, *args)
    print("wrote", flush=True)
    time.sleep(0.5)
    return n
indexing._Run._write = slow
with open_kb("crash") as kb:
    kb.add([Path(sys.argv[1])])
"""


@pytest.mark.timeout(300)
def test_kill_9_keeps_committed_files_and_the_next_run_resumes(encoder_folder: Path, tmp_path: Path) -> None:
    docs = tmp_path / "many"
    docs.mkdir()
    for i in range(12):
        (docs / f"note{i:02d}.md").write_text(f"# Note {i}\n\nItem {i} is stored on shelf {i * 3}.\n",
                                              encoding="utf-8")
    assert main(["kb", "create", "crash", "-m", str(encoder_folder)]) == 0
    child = subprocess.Popen([sys.executable, "-c", _INDEXER, str(docs)], stdout=subprocess.PIPE, text=True,
                             cwd=PROJECT_ROOT, env=os.environ.copy())
    assert child.stdout is not None
    for _ in range(4):  # let four files commit, then kill it in the middle of the fifth
        assert child.stdout.readline().strip() == "wrote"
    time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    with open_kb("crash") as kb:
        kept = kb.status().files
        assert 3 <= kept <= 6
        assert all(chunks == 1 and not error for _, chunks, error in kb.files())  # no half-written file
        resumed = kb.rescan()
        assert resumed.count("unchanged") == kept and resumed.count("indexed") == 12 - kept
        assert kb.status().files == 12
