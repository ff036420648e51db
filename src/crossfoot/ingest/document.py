"""The Document every ingest path produces: lines of cells with positions.

Text dumps give tab-separated cells and line numbers; PDF and OCR paths fill
``page``, ``bbox`` and ``confidence`` too. Segmentation and extraction only
ever see this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from crossfoot.model import InputKind

__all__ = ["Cell", "Document", "Line"]


@dataclass(slots=True)
class Cell:
    """One cell as printed.

    A plain slotted dataclass, not a pydantic model: ingest builds one per
    printed cell, and validating each was ~15% of a text run (issue 12). The
    pydantic boundary is the Document and the records built from it.
    """

    column: int  # 0-based cell index on the line
    text: str  # the cell text exactly as printed
    bbox: tuple[float, float, float, float] | None = None
    confidence: float | None = None
    # Grid inputs (HTML, XLSX, XLS, DOCX, CSV) know a merged cell's extent: the
    # cell sits at its top-left line and column and covers ``rows`` lines and
    # ``cols`` columns (both >= 1). The positions it covers hold empty cells, so
    # that on a grid document ``line.cells[j].column == j`` for every grid column.
    rows: int = 1  # lines this cell covers (rowspan / vMerge / merged range)
    cols: int = 1  # columns this cell covers (colspan / gridSpan / merged range)
    address: str | None = None  # where a reviewer finds it: Sheet1!C12, table 1 row 3 col 2


@dataclass(slots=True)
class Line:
    """One line of the source; a blank line has no non-empty cells.

    Treat ``cells`` as fixed once the line is built (make a new Line to
    change them): ``filled`` is worked out once, on first use, because the
    readers ask for it many times per line.
    """

    number: int  # 1-based line number in the source
    cells: list[Cell]
    page: int | None = None
    _filled: list[Cell] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def filled(self) -> list[Cell]:
        """The cells with text, in column order."""
        if self._filled is None:
            self._filled = [c for c in self.cells if c.text.strip()]
        return self._filled

    @property
    def is_blank(self) -> bool:
        return not self.filled

    @property
    def text(self) -> str:
        return "\t".join(c.text for c in self.cells)


class Document(BaseModel):
    """A whole source file, decoded.

    Invariant: ``lines[i].number == i + 1`` (PDF and OCR paths number their
    rebuilt rows the same way), so a line number is also an index.
    """

    path: str
    sha256: str
    kind: InputKind = "text"
    encoding: str | None = None
    grid: bool = Field(False, description="cells are a real table grid with merged extents (native inputs)")
    lines: list[Line]
    notes: list[str] = Field(default_factory=list, description="what ingest noticed")

    def page_break_between(self, upper: Line, lower: Line) -> bool:
        """True when a page boundary separates two lines.

        Text dumps mark a page break with a blank line inside a table; PDF and
        OCR paths carry the page number.
        """
        if upper.page is not None and lower.page is not None and upper.page != lower.page:
            return True
        between = self.lines[upper.number : lower.number - 1]
        return any(line.is_blank for line in between)
