"""XLSX workbooks (openpyxl): every visible sheet is one table.

Values are the ones Excel last calculated (``data_only``), shown by their
number format; merged ranges keep their extent; addresses are sheet + cell
(``Sheet1!C12``). A hidden sheet is skipped with a note, since a reviewer
opening the file would not see it either.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from crossfoot.errors import CorruptFileError, EmptyInputError
from crossfoot.ingest.document import Document
from crossfoot.ingest.grid import Table, document_from_blocks, require
from crossfoot.ingest.sheet import SheetCells, column_letter, sheet_table

__all__ = ["read_xlsx"]


def _load(data: bytes, path: Path, *, data_only: bool) -> Any:
    openpyxl = require("openpyxl", "XLSX", path)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only, read_only=False)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike mean one thing here
        raise CorruptFileError(f"cannot read as an XLSX workbook ({type(exc).__name__}: {exc})", path=path) from exc


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any sheet holds a formula: only then is the workbook loaded a
    second time, to find formulas without a calculated value."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(
                _FORMULA.search(archive.read(name))
                for name in archive.namelist()
                if name.startswith("xl/worksheets/") and name.endswith(".xml")
            )
    except Exception:  # a damaged member: openpyxl's own load reports it
        return True


def _cells(sheet: Any, formulas: Any | None, notes: list[str]) -> SheetCells:
    from openpyxl.cell.cell import MergedCell  # type: ignore[import-untyped,unused-ignore]

    cells = SheetCells(title=sheet.title)
    # ``_cells`` holds only the cells the file defines; iter_rows() would
    # create every cell of a sheet whose dimension is inflated by formatting.
    for (row, column), cell in sorted(sheet._cells.items()):
        if isinstance(cell, MergedCell):
            continue
        value = cell.value
        if value is None:
            formula = formulas._cells.get((row, column)) if formulas is not None else None
            if formula is not None and isinstance(formula.value, str) and formula.value.startswith("="):
                # Programs that write workbooks store a target typed as
                # "=30个" or "=100%" as a formula and calculate nothing; its
                # source is what the author wrote, and more use than nothing
                # for a real formula too (a reviewer sees it, with the note).
                notes.append(
                    f"{cells.address(row, column)}: formula {formula.value} has no calculated value "
                    "(the file was saved without calculating it); read as its text"
                )
                cells.put(row, column, formula.value, None)
            continue
        cells.put(row, column, value, cell.number_format, error=cell.data_type == "e")
    cells.merges = [(r.min_row, r.max_row, r.min_col, r.max_col) for r in sheet.merged_cells.ranges]
    # Hidden rows and columns are read (they are part of the form's grid and
    # its merges) but said, since a reviewer in Excel does not see them.
    hidden_rows = sorted({r for r, _ in cells.text if sheet.row_dimensions[r].hidden})
    hidden_columns = sorted({c for _, c in cells.text if sheet.column_dimensions[column_letter(c)].hidden})
    if hidden_rows:
        notes.append(f"sheet {sheet.title!r}: hidden rows {', '.join(map(str, hidden_rows))} hold text; read anyway")
    if hidden_columns:
        letters = ", ".join(column_letter(c) for c in hidden_columns)
        notes.append(f"sheet {sheet.title!r}: hidden columns {letters} hold text; read anyway")
    notes.extend(cells.notes())
    return cells


def read_xlsx(path: Path, data: bytes | None = None) -> Document:
    """Read an XLSX (or XLSM) workbook into a grid Document."""
    data = path.read_bytes() if data is None else data
    values = _load(data, path, data_only=True)
    formulas = _load(data, path, data_only=False) if _has_formulas(data) else None
    from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped,unused-ignore]

    notes: list[str] = []
    tables: list[Table] = []
    for sheet in values.worksheets:
        if not isinstance(sheet, Worksheet):
            continue  # a chart sheet holds no cells
        if sheet.sheet_state != "visible":
            notes.append(f"sheet {sheet.title!r} is hidden: skipped")
            continue
        table = sheet_table(_cells(sheet, formulas[sheet.title] if formulas is not None else None, notes))
        if table is not None:
            tables.append(table)
    if not tables:
        raise EmptyInputError("the workbook has no visible sheet with text", path=path)
    return document_from_blocks(tables, path=path, data=data, kind="xlsx", notes=notes)
