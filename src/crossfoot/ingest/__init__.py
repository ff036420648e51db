"""Ingest: source files -> Document (lines, cells, positions)."""

from __future__ import annotations

from pathlib import Path

from crossfoot.errors import MissingInputError
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.ingest.text import decode_bytes, read_text_dump
from crossfoot.settings import Settings

__all__ = ["SUPPORTED_SUFFIXES", "Cell", "Document", "Line", "decode_bytes", "load_document"]

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
SUPPORTED_SUFFIXES = frozenset({".txt", ".tsv", ".md"}) | PDF_SUFFIXES | IMAGE_SUFFIXES


def load_document(path: Path, settings: Settings | None = None) -> Document:
    """Read any supported source into a Document; the format is chosen by content."""
    settings = settings or Settings()
    if not path.exists():
        raise MissingInputError("no such file", path=path)
    if path.is_dir():
        raise MissingInputError("is a folder, expected a file", path=path)
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF") or path.suffix.lower() in PDF_SUFFIXES:
        from crossfoot.ingest.pdf import read_pdf  # heavy: pdfplumber

        return read_pdf(path, settings)
    if path.suffix.lower() in IMAGE_SUFFIXES or _is_image_magic(head):
        from crossfoot.ingest.ocr import read_image  # heavy: OCR engine

        return read_image(path, settings)
    return read_text_dump(path)


def _is_image_magic(head: bytes) -> bool:
    return head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))
