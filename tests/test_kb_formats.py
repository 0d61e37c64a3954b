"""Readers and chunking: PDF pages, DOCX headings, bad files with one clear reason each."""

from __future__ import annotations

from pathlib import Path

import pytest
from kb_files import write_docx, write_encrypted_pdf, write_pdf

from engines.kb.chunking import chunk_blocks
from engines.kb.readers import Block, UnreadableFile, markdown_blocks, read_blocks


def test_pdf_blocks_keep_their_page(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "manual.pdf", [["Chapter one.", "The pump starts at dawn."],
                                               ["Chapter two.", "The valve closes at dusk."]])
    blocks = list(read_blocks(pdf))
    assert {b.page for b in blocks} == {1, 2}
    assert any("valve closes" in b.text and b.page == 2 for b in blocks)


def test_encrypted_corrupt_and_scanned_pdfs_say_why(tmp_path: Path) -> None:
    plain = write_pdf(tmp_path / "plain.pdf", [["Secret plans."]])
    with pytest.raises(UnreadableFile, match="encrypted"):
        list(read_blocks(write_encrypted_pdf(plain, tmp_path / "locked.pdf")))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    with pytest.raises(UnreadableFile, match="damaged or not a PDF"):
        list(read_blocks(broken))
    with pytest.raises(UnreadableFile, match="no text layer"):
        list(read_blocks(write_pdf(tmp_path / "scan.pdf", [[]])))


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    blocks = list(read_blocks(write_docx(tmp_path / "contract.docx")))
    rent = next(b for b in blocks if "1500 reais" in b.text)
    assert rent.heading == "Contract > Payment"
    assert any("Deposit | 3000 reais" in b.text for b in blocks)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile, match="not a Word document"):
        list(read_blocks(broken))


def test_markdown_code_fences_are_not_headings() -> None:
    lines = iter(["# Title", "", "```bash", "# not a heading", "echo hi", "```", "", "## Sub", "Text."])
    blocks = list(markdown_blocks(lines))
    assert blocks[0].kind == "code" and "# not a heading" in blocks[0].text and blocks[0].heading == "Title"
    assert blocks[1].heading == "Title > Sub"


def test_chunks_follow_sections_and_overlap() -> None:
    sentences = " ".join(f"Sentence number {i} talks about pumps." for i in range(60))
    blocks = [Block("Intro text.", 1, ("A",)), Block(sentences, 1, ("A", "B")), Block("Last page.", 2, ("A", "B"))]
    chunks = list(chunk_blocks(blocks, size=300, overlap=60))
    assert chunks[0].text == "Intro text." and chunks[0].heading == "A"
    body = [c for c in chunks if c.heading == "A > B" and c.page == 1]
    assert len(body) > 3 and all(len(c.text) <= 300 + 60 + 2 for c in body)
    assert body[1].text.split()[0] in body[0].text  # the next chunk starts inside the previous one
    assert chunks[-1].page == 2 and chunks[-1].text == "Last page."


def test_binary_and_latin1_text(tmp_path: Path) -> None:
    binary = tmp_path / "data.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UnreadableFile, match="binary"):
        list(read_blocks(binary))
    latin = tmp_path / "old.txt"
    prose = ("O relatório anual da associação mostra que a produção de café aumentou este ano. Os agricultores "
             "das regiões do sul, onde a colheita começou mais cedo, disseram que o preço não cobriu os custos.\n")
    latin.write_bytes(prose.encode("latin-1") * 3)
    assert "associação" in next(iter(read_blocks(latin))).text
