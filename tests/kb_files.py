"""Documents the knowledge-base tests build: PDFs written by hand (one text object per line), DOCX
through python-docx, an encrypted PDF through pypdf."""

from __future__ import annotations

from pathlib import Path

from engines.testing.tiny_pdf import pdf_bytes


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A valid PDF with one page per entry, each line of text drawn in Helvetica."""
    path.write_bytes(pdf_bytes(["\n".join(lines) for lines in pages]))
    return path


def write_encrypted_pdf(source: Path, path: Path, password: str = "secret") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        writer.add_page(page)
    writer.encrypt(password)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Contract", level=1)
    document.add_heading("Payment", level=2)
    document.add_paragraph("The tenant pays the rent of 1500 reais on the fifth day of each month.")
    document.add_heading("Termination", level=2)
    document.add_paragraph("Either party may end the contract with thirty days of notice.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Deposit"
    table.cell(0, 1).text = "3000 reais"
    document.save(str(path))
    return path
