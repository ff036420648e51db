"""Tables with merged cells -> the lines of a grid Document.

Every native reader (HTML, XLSX, XLS, DOCX, CSV) describes what it found as
blocks in document order: a paragraph of text outside any table, or a table
whose cells carry their extents. This module places the spans on a grid, so
that a merged cell sits at its top-left position and the positions it covers
hold empty cells, and numbers the rows into Lines. Keeping this in one place
is what makes a 一级指标 label merged over three rows look the same whether it
came from ``rowspan``, ``vMerge`` or a merged range.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossfoot.errors import ConfigError
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.model import InputKind

__all__ = [
    "NATIVE_HINT",
    "Block",
    "Blocks",
    "Paragraph",
    "Placed",
    "SpanCell",
    "Table",
    "clean_text",
    "document_from_blocks",
    "frames_a_table",
    "place_spans",
    "require",
    "trim_table",
]

NATIVE_HINT = "pip install 'crossfoot[native]'"

#: a colspan/rowspan beyond this is a broken page, not a form
MAX_SPAN = 1000

_SPACES = re.compile(r"[ \t\f\v\u00a0\u3000\u2002\u2003\u2009]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # zero-width, BOM, soft hyphen


def clean_text(text: str) -> str:
    """Cell text as displayed: runs of spaces (incl. &nbsp; and the ideographic
    space) become one, characters that show nothing go, each line is stripped,
    empty lines dropped; line breaks inside the cell stay as ``\\n``."""
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", part).strip() for part in text.split("\n"))
    return "\n".join(part for part in lines if part)


@dataclass
class SpanCell:
    """A cell as an HTML/DOCX table row lists it: text and its spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Placed:
    """A grid position: the origin of a cell (``rows``/``cols`` its extent),
    or a position covered by the merged cell at ``origin``."""

    text: str
    rows: int = 1
    cols: int = 1
    address: str | None = None
    covered: bool = False


@dataclass
class Table:
    """A placed grid: ``rows[i][j]`` for every row i and grid column j."""

    rows: list[list[Placed]]


@dataclass
class Paragraph:
    """Text outside any table (a title, a note); one Line of one cell."""

    text: str


Block = Table | Paragraph


def place_spans(
    rows: Sequence[Sequence[SpanCell]],
    address: Callable[[int, int], str],
    *,
    skip: Sequence[Sequence[int]] | None = None,
) -> Table:
    """The HTML table algorithm: lay cells left to right, skipping positions
    taken by a rowspan from above; a rowspan past the last row is clipped.

    ``address(row, col)`` gets 0-based grid positions. ``skip[i]`` lists grid
    columns of row i that hold no cell at all (DOCX ``gridBefore``).
    """
    taken: dict[tuple[int, int], tuple[int, int]] = {}
    origins: dict[tuple[int, int], SpanCell] = {}
    for i, row in enumerate(rows):
        j = 0
        blocked = set(skip[i]) if skip and i < len(skip) else set()
        for cell in row:
            while (i, j) in taken or j in blocked:
                j += 1
            rowspan = max(1, min(cell.rowspan, MAX_SPAN))
            colspan = max(1, min(cell.colspan, MAX_SPAN))
            origins[(i, j)] = SpanCell(cell.text, rowspan, colspan)
            for di in range(rowspan):
                for dj in range(colspan):
                    taken.setdefault((i + di, j + dj), (i, j))
            j += colspan
    height = len(rows)
    width = max((j + 1 for (i, j) in taken if i < height), default=0)
    grid: list[list[Placed]] = []
    for i in range(height):
        line: list[Placed] = []
        for j in range(width):
            origin = origins.get((i, j))
            if origin is not None:
                line.append(
                    Placed(
                        origin.text,
                        rows=min(origin.rowspan, height - i),
                        cols=origin.colspan,
                        address=address(i, j),
                    )
                )
            else:
                line.append(Placed("", address=address(i, j), covered=(i, j) in taken))
        grid.append(line)
    return Table(grid)


def trim_table(table: Table) -> Table:
    """Drop trailing columns that hold no text in any row, and collapse runs of
    empty rows (no text, not inside a merge) into one.

    A merged cell that reached into a dropped column ends at the last kept
    one: a title row with ``colspan="20"`` over a nine-column form, or a merge
    across A1:J1 above a form in A:I, does not widen the grid with columns in
    which nothing starts."""
    if not table.rows:
        return table
    width = len(table.rows[0])
    while width > 0 and not any(row[width - 1].text for row in table.rows):
        width -= 1
    for row in table.rows:
        for j, placed in enumerate(row[:width]):
            placed.cols = min(placed.cols, width - j)
    kept: list[list[Placed]] = []
    for row in table.rows:
        row = row[:width]
        empty = not any(p.text or p.covered or p.rows > 1 for p in row)
        if empty and (not kept or _row_empty(kept[-1])):
            continue
        kept.append(row)
    while kept and _row_empty(kept[-1]):
        kept.pop()
    return Table(kept)


def _row_empty(row: list[Placed]) -> bool:
    return not any(p.text or p.covered or p.rows > 1 for p in row)


def frames_a_table(row_chars: int, nested: Sequence[tuple[int, int]]) -> bool:
    """Whether a table row frames a nested table: ``row_chars`` counts the
    row's text including its nested tables, ``nested`` gives (rows, chars)
    of each table nested directly in the row.

    Pages wrap the form in layout tables, and some forms put the indicator
    table inside one cell of the funding table: a nested table of three or
    more rows is a table of its own, and so is one of two rows that carries
    most of the row's text; the row around it is then read as flow. A
    one-row table (a line of check boxes in a 项目属性 cell) stays in its cell.
    """
    own = row_chars - sum(chars for _, chars in nested)
    return any(rows >= 3 or (rows >= 2 and chars >= own) for rows, chars in nested)


def require(module: str, what: str, path: Path) -> Any:
    """Import a reader's library, or fail with the install hint."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"reading {what} needs {module}: {NATIVE_HINT}", path=path) from exc


class Blocks:
    """Blocks in document order as an HTML or DOCX reader finds them; tables
    are numbered as they are kept, so "table 2" is the second form table a
    reviewer sees, not counting layout frames and empty spacers."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tables = 0

    def paragraphs(self, text: str) -> None:
        """Text outside tables: one block per displayed line."""
        for line in clean_text(text).split("\n"):
            if line:
                self.blocks.append(Paragraph(line))

    def table(
        self,
        rows: Sequence[Sequence[SpanCell]],
        *,
        skip: Sequence[Sequence[int]] | None = None,
    ) -> None:
        if not any(cell.text for row in rows for cell in row):
            return  # a spacer or an empty frame
        self.tables += 1
        number = self.tables
        placed = place_spans(rows, lambda i, j: f"table {number} row {i + 1} col {j + 1}", skip=skip)
        self.blocks.append(trim_table(placed))

    def has_table(self) -> bool:
        return any(isinstance(block, Table) for block in self.blocks)


@dataclass
class _Numbering:
    lines: list[Line] = field(default_factory=list)

    def add(self, cells: list[Cell]) -> None:
        self.lines.append(Line(number=len(self.lines) + 1, cells=cells))


def document_from_blocks(
    blocks: Sequence[Block],
    *,
    path: Path,
    data: bytes,
    kind: InputKind,
    encoding: str | None = None,
    notes: Sequence[str] = (),
) -> Document:
    """Number blocks into a grid Document; consecutive tables get one blank
    line between them, as a page break would in a text dump."""
    out = _Numbering()
    previous_was_table = False
    for block in blocks:
        if isinstance(block, Paragraph):
            if block.text:
                out.add([Cell(column=0, text=block.text)])
                previous_was_table = False
            continue
        if not block.rows:
            continue
        if previous_was_table:
            out.add([Cell(column=0, text="")])
        for row in block.rows:
            out.add(
                [Cell(column=j, text=p.text, rows=p.rows, cols=p.cols, address=p.address) for j, p in enumerate(row)]
            )
        previous_was_table = True
    return Document(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        kind=kind,
        encoding=encoding,
        grid=True,
        lines=out.lines,
        notes=list(notes),
    )
