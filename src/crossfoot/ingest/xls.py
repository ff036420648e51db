"""XLS workbooks (Excel 97-2003, xlrd): every visible sheet is one table.

``formatting_info=True`` is what gives xlrd the merged ranges and each cell's
number format, so values show as Excel shows them (through ``numfmt``, like
XLSX). An XLS keeps the last calculated value of a formula, so there is no
missing-value case as with XLSX.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossfoot.errors import CorruptFileError, EmptyInputError
from crossfoot.ingest.document import Document
from crossfoot.ingest.grid import Table, document_from_blocks, require
from crossfoot.ingest.sheet import SheetCells, sheet_table

__all__ = ["read_xls"]


def _value(book: Any, sheet: Any, row: int, column: int) -> tuple[object, str | None, bool]:
    """A cell's value as Python sees it, its number format code, and whether
    it is a formula error (whose value is then its code, e.g. "#NAME?")."""
    import xlrd  # type: ignore[import-untyped,unused-ignore]

    cell = sheet.cell(row, column)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None, None, False
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(cell.value, "#ERR")), None, True
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value), None, False
    xf = book.xf_list[cell.xf_index] if 0 <= cell.xf_index < len(book.xf_list) else None
    fmt = book.format_map.get(xf.format_key) if xf is not None else None
    code = fmt.format_str if fmt is not None else None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode), code, False
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value, None, False
    return cell.value, code, False


def read_xls(path: Path, data: bytes | None = None) -> Document:
    """Read an XLS (BIFF) workbook into a grid Document."""
    data = path.read_bytes() if data is None else data
    xlrd = require("xlrd", "XLS", path)
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False, logfile=_Discard())
    except Exception as exc:  # xlrd raises its own errors, struct and index errors on damaged files
        raise CorruptFileError(f"cannot read as an XLS workbook ({type(exc).__name__}: {exc})", path=path) from exc
    try:
        tables, notes = _tables(book)
    except Exception as exc:  # xlrd opened it, but its records contradict each other
        raise CorruptFileError(f"a damaged XLS workbook ({type(exc).__name__}: {exc})", path=path) from exc
    if not tables:
        raise EmptyInputError("the workbook has no visible sheet with text", path=path)
    return document_from_blocks(tables, path=path, data=data, kind="xls", notes=notes)


def _tables(book: Any) -> tuple[list[Table], list[str]]:
    notes: list[str] = []
    tables: list[Table] = []
    for sheet in book.sheets():
        if sheet.visibility:  # 1 hidden, 2 very hidden
            notes.append(f"sheet {sheet.name!r} is hidden: skipped")
            continue
        cells = SheetCells(title=sheet.name)
        for row in range(sheet.nrows):
            for column in range(sheet.ncols):
                value, code, error = _value(book, sheet, row, column)
                if value is not None and value != "":
                    cells.put(row + 1, column + 1, value, code, error=error)
        # xlrd gives half-open 0-based ranges; SheetCells wants 1-based inclusive
        cells.merges = [(r0 + 1, r1, c0 + 1, c1) for r0, r1, c0, c1 in sheet.merged_cells]
        notes.extend(cells.notes())
        table = sheet_table(cells)
        if table is not None:
            tables.append(table)
    return tables, notes


class _Discard:
    """xlrd writes warnings to a log file; library code prints nothing."""

    def write(self, text: str) -> int:
        return len(text)
