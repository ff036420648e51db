"""DOCX documents (python-docx): Word tables with gridSpan and vMerge.

The body is read in order: a paragraph outside a table is a one-cell line (a
title, a 说明/注 note), a table becomes grid rows. Word stores a horizontal
merge as ``gridSpan`` on one cell and a vertical merge as a ``vMerge="restart"``
cell followed, row by row, by ``vMerge`` continuation cells; both become the
cell's extent. A table whose text sits mostly in tables nested in its cells
is a layout frame and is read as flow, as for HTML.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from crossfoot.errors import CorruptFileError, NoTableError
from crossfoot.ingest.document import Document
from crossfoot.ingest.grid import Blocks, SpanCell, clean_text, document_from_blocks, frames_a_table, require

__all__ = ["read_docx"]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

# Check boxes drawn with the Wingdings symbol font (w:sym), as Hubei's
# 项目类别/属性 boxes often are: private-use code points of Wingdings 1/2.
_SYMBOLS = {"F0FE": "☑", "F052": "☑", "F0FD": "☒", "F0A8": "☐", "F0A3": "☐", "F06F": "☐", "F0FC": "✓"}


def _val(element: Any, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.get(f"{W}val", "")


def _run_text(paragraph: Any) -> str:
    """A paragraph's displayed text: w:t, tabs, breaks and symbol glyphs;
    deleted revisions (w:delText) and field codes (w:instrText) are not shown."""
    out: list[str] = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}sym"):
        if any(True for _ in node.iterancestors(f"{MC}Fallback")):
            continue  # Word writes a text box twice: the drawing, and a fallback copy
        if node.tag == f"{W}t":
            out.append(node.text or "")
        elif node.tag == f"{W}tab":
            out.append(" ")
        elif node.tag == f"{W}sym":
            out.append(_SYMBOLS.get((node.get(f"{W}char") or "").upper(), ""))
        else:
            out.append("\n")
    return "".join(out)


def _children(parent: Any, *tags: str) -> list[Any]:
    """Children with these tags, looking through content controls (w:sdt)
    and custom XML wrappers, which Word nests freely around blocks, rows and
    cells."""
    out: list[Any] = []
    for child in parent:
        if child.tag in tags:
            out.append(child)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                out.extend(_children(content, *tags))
        elif child.tag == f"{W}customXml":
            out.extend(_children(child, *tags))
    return out


def _content(parent: Any) -> list[Any]:
    return _children(parent, f"{W}p", f"{W}tbl")


def _row_cells(row: Any) -> list[Any]:
    return _children(row, f"{W}tc")


def _rows(table: Any) -> list[Any]:
    return _children(table, f"{W}tr")


def _flat_text(cell: Any) -> str:
    """A cell's text; a nested table contributes its rows as lines."""
    parts: list[str] = []
    for block in _content(cell):
        if block.tag == f"{W}p":
            parts.append(_run_text(block))
        else:
            for row in _rows(block):
                parts.append(" ".join(clean_text(_flat_text(c)).replace("\n", " ") for c in _row_cells(row)))
    return clean_text("\n".join(parts))


def _chars(element: Any) -> int:
    return sum(len((t.text or "").replace(" ", "")) for t in element.iter(f"{W}t"))


def _frames(row: Any) -> bool:
    """The row holds a nested table that is a table of its own."""
    owner = next(row.iterancestors(f"{W}tbl"), None)
    nested = [t for t in row.iter(f"{W}tbl") if next(t.iterancestors(f"{W}tbl"), None) is owner]
    return frames_a_table(_chars(row), [(_rows_weight(t), _chars(t)) for t in nested])


def _rows_weight(table: Any) -> int:
    # a one-row frame that itself frames the form weighs as a big table
    rows = _rows(table)
    return max(len(rows), 3 if any(_frames(row) for row in rows) else 0)


def _span(tc: Any) -> int:
    value = _val(tc, f"{W}tcPr/{W}gridSpan")
    return int(value) if value and value.isdigit() else 1


def _vmerge(tc: Any) -> str | None:
    """ "restart", "continue" or None (not vertically merged)."""
    value = _val(tc, f"{W}tcPr/{W}vMerge")
    if value is None:
        return None
    return "restart" if value == "restart" else "continue"


def _grid_rows(rows: list[Any]) -> tuple[list[list[SpanCell]], list[list[int]]]:
    """Cells with their row and column spans, and each row's gridBefore gap."""
    # (grid column, span, vMerge state, tc) per row
    laid: list[list[tuple[int, int, str | None, Any]]] = []
    skips: list[list[int]] = []
    for row in rows:
        before = _val(row, f"{W}trPr/{W}gridBefore")
        column = int(before) if before and before.isdigit() else 0
        skips.append(list(range(column)))
        cells = []
        for tc in _row_cells(row):
            span = _span(tc)
            cells.append((column, span, _vmerge(tc), tc))
            column += span
        laid.append(cells)
    spans: list[list[SpanCell]] = []
    for i, cells in enumerate(laid):
        out: list[SpanCell] = []
        for column, span, state, tc in cells:
            starts_above = i > 0 and any(c == column and s is not None for c, _, s, _ in laid[i - 1])
            if state == "continue" and starts_above:
                continue  # covered by the cell above: place_spans skips it
            rowspan = 1
            for below in laid[i + 1 :] if state is not None else ():
                if not any(c == column and s == "continue" for c, _, s, _ in below):
                    break
                rowspan += 1
            out.append(SpanCell(_flat_text(tc), rowspan=rowspan, colspan=span))
        spans.append(out)
    return spans, skips


class _Reader(Blocks):
    def flow(self, parent: Any) -> None:
        for block in _content(parent):
            if block.tag == f"{W}p":
                self.paragraphs(_run_text(block))
            else:
                self.read_table(block)

    def read_table(self, element: Any) -> None:
        # as for HTML: rows that frame a nested table are flow, the rest grid
        segment: list[Any] = []
        for row in _rows(element):
            if _frames(row):
                self.grid(segment)
                segment = []
                for cell in _row_cells(row):
                    self.flow(cell)
            else:
                segment.append(row)
        self.grid(segment)

    def grid(self, rows: list[Any]) -> None:
        spans, skips = _grid_rows(rows)
        self.table(spans, skip=skips)


def read_docx(path: Path, data: bytes | None = None) -> Document:
    """Read a DOCX document into a grid Document."""
    data = path.read_bytes() if data is None else data
    docx = require("docx", "DOCX", path)
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except Exception as exc:  # zip, XML and package errors alike mean one thing here
        raise CorruptFileError(f"cannot read as a DOCX document ({type(exc).__name__}: {exc})", path=path) from exc
    reader = _Reader()
    reader.flow(body)
    if not reader.has_table():
        raise NoTableError("the document holds no table: the form must be a Word table", path=path)
    return document_from_blocks(reader.blocks, path=path, data=data, kind="docx")
