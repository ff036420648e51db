"""CSV files: one table, no merges, decoded like text dumps.

A CSV export of a merged form carries the merged text in the first cell and
leaves the cells it covered empty, as a text dump does; each cell is addressed
``row 5 col 3`` (1-based) so a reviewer finds it in a spreadsheet program.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from crossfoot.errors import CorruptFileError, EmptyInputError
from crossfoot.ingest.document import Document
from crossfoot.ingest.grid import SpanCell, clean_text, document_from_blocks, place_spans, trim_table
from crossfoot.ingest.text import decode_bytes

__all__ = ["read_csv"]


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        return csv.excel  # one column, or too little to tell: commas


def read_csv(path: Path, data: bytes | None = None) -> Document:
    """Read a CSV file into a grid Document."""
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise EmptyInputError("empty file", path=path)
    text, encoding = decode_bytes(data, str(path))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), _dialect(text[:8192])))
    except csv.Error as exc:
        raise CorruptFileError(f"not a readable CSV ({exc})", path=path) from exc
    cells = [[SpanCell(clean_text(value)) for value in row] for row in rows]
    table = trim_table(place_spans(cells, lambda i, j: f"row {i + 1} col {j + 1}"))
    if not any(p.text for row in table.rows for p in row):
        raise EmptyInputError("the CSV holds no cell with text", path=path)
    return document_from_blocks([table], path=path, data=data, kind="csv", encoding=encoding)
