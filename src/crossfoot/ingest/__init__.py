"""Ingest: source files -> Document (lines, cells, positions)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from crossfoot.errors import MissingInputError
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.ingest.formats import GRID_SUFFIXES, READ_FORMATS, REFUSED_SUFFIXES, sniff_format
from crossfoot.ingest.text import decode_bytes, read_text_dump
from crossfoot.settings import Settings

__all__ = [
    "ACYCLIC_READERS",
    "READ_FORMATS",
    "SUPPORTED_SUFFIXES",
    "Cell",
    "Document",
    "Line",
    "decode_bytes",
    "load_document",
]

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: what a folder expands to: what crossfoot reads, and the publishing formats
#: it refuses by name (.doc, .ofd), so that a folder run reports those
SUPPORTED_SUFFIXES = (
    frozenset({".txt", ".tsv", ".md"}) | PDF_SUFFIXES | IMAGE_SUFFIXES | GRID_SUFFIXES | REFUSED_SUFFIXES
)

#: document kinds whose reader builds only acyclic objects (lines and cells):
#: after it a collector pass has no garbage to free (crossfoot.heap)
ACYCLIC_READERS = frozenset({"text"})

#: native grid formats -> the ingest module whose read_<format> reads them
_NATIVE_MODULES = {"html": "html", "xlsx": "xlsx", "xls": "xls", "docx": "docx", "csv": "delimited"}


def load_document(path: Path, settings: Settings | None = None) -> Document:
    """Read any supported source into a Document; the format is chosen by content."""
    settings = settings or Settings()
    if not path.exists():
        raise MissingInputError("no such file", path=path)
    if path.is_dir():
        raise MissingInputError("is a folder, expected a file", path=path)
    data = path.read_bytes()
    kind = sniff_format(path, data)
    if kind == "pdf":
        from crossfoot.ingest.pdf import read_pdf  # heavy: pdfplumber

        return read_pdf(path, settings)
    if kind == "image":
        from crossfoot.ingest.ocr import read_image  # heavy: OCR engine

        return read_image(path, settings)
    if kind in _NATIVE_MODULES:
        # each native reader imports its library (lxml, openpyxl, ...) only when used
        module = importlib.import_module(f"crossfoot.ingest.{_NATIVE_MODULES[kind]}")
        reader: Callable[[Path, bytes], Document] = getattr(module, f"read_{kind}")
        return reader(path, data)
    return read_text_dump(path)
