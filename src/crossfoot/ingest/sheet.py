"""One spreadsheet sheet (XLSX or XLS) -> one placed table.

Both spreadsheet readers hand over the same thing: the displayed text of each
filled cell by 1-based (row, column), and the merged ranges. This module cuts
the sheet to the rectangle that holds text, so an empty margin column A or a
sheet whose dimension was inflated by formatting does not widen the grid, and
keeps each cell's real address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crossfoot.ingest.grid import Placed, Table, clean_text, trim_table
from crossfoot.ingest.numfmt import display_value, general, shown_number

__all__ = ["SheetCells", "column_letter", "sheet_table"]


def column_letter(column: int) -> str:
    """1 -> A, 27 -> AA (as Excel names columns)."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _quoted(title: str) -> str:
    # Excel quotes a sheet name in a reference when it holds anything but
    # letters, digits and underscores; CJK names count as letters.
    if all(ch.isalnum() or ch == "_" for ch in title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass
class SheetCells:
    """Displayed text by 1-based (row, column), and merged ranges as
    (first row, last row, first column, last column), all 1-based inclusive."""

    title: str
    text: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: (address, the value held, the text shown) where the format rounds digits away
    rounded: list[tuple[str, str, str]] = field(default_factory=list)
    #: (address, error shown) for formula errors such as #NAME? or #DIV/0!
    errors: list[tuple[str, str]] = field(default_factory=list)

    def address(self, row: int, column: int) -> str:
        return f"{_quoted(self.title)}!{column_letter(column)}{row}"

    def put(self, row: int, column: int, value: object, code: str | None, *, error: bool = False) -> None:
        """A cell's value, shown as its number format shows it; ``error`` marks
        a formula error, which shows as its code (#NAME?) and is noted."""
        if error:
            self.errors.append((self.address(row, column), str(value)))
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            text, exact = shown_number(value, code)
            if not exact:
                self.rounded.append((self.address(row, column), general(value), text))
        else:
            text = display_value(value, code)
        self.text[(row, column)] = text

    def notes(self) -> list[str]:
        """What a reviewer should know about this sheet's numbers."""
        notes = []
        if self.errors:
            shown = "; ".join(f"{a} {e}" for a, e in self.errors[:5])
            more = f" and {len(self.errors) - 5} more" if len(self.errors) > 5 else ""
            notes.append(f"sheet {self.title!r}: formula errors show as Excel shows them ({shown}{more})")
        if (rounding := self.rounding_note()) is not None:
            notes.append(rounding)
        return notes

    def rounding_note(self) -> str | None:
        """One note for the numbers whose format shows fewer digits than they
        hold: the record reads what is shown, as on paper; a reviewer may
        want to know the sheet holds more."""
        if not self.rounded:
            return None
        examples = "; ".join(f"{a} holds {held}, shows {shown}" for a, held, shown in self.rounded[:3])
        more = f" and {len(self.rounded) - 3} more" if len(self.rounded) > 3 else ""
        return f"sheet {self.title!r}: {len(self.rounded)} numbers are shown rounded by their format ({examples}{more})"


def sheet_table(cells: SheetCells) -> Table | None:
    """The sheet as a table, or None when no cell holds text."""
    texts = {pos: clean_text(text) for pos, text in cells.text.items()}
    texts = {pos: text for pos, text in texts.items() if text}
    if not texts:
        return None
    top = min(r for r, _ in texts)
    bottom = max(r for r, _ in texts)
    left = min(c for _, c in texts)
    right = max(c for _, c in texts)
    # A merged range that starts inside the text rectangle belongs to the
    # table even where it reaches past the last text (a blank merged 得分).
    for r0, r1, c0, c1 in cells.merges:
        if top <= r0 <= bottom and left <= c0 <= right:
            bottom, right = max(bottom, r1), max(right, c1)
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for r0, r1, c0, c1 in cells.merges:
        if not (top <= r0 <= bottom and left <= c0 <= right):
            continue
        origins[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        covered.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) != (r0, c0))
    rows: list[list[Placed]] = []
    for r in range(top, bottom + 1):
        line: list[Placed] = []
        for c in range(left, right + 1):
            extent = origins.get((r, c), (1, 1))
            is_covered = (r, c) in covered
            # a covered cell's own value is hidden under the merge in Excel too
            text = "" if is_covered else texts.get((r, c), "")
            line.append(Placed(text, rows=extent[0], cols=extent[1], address=cells.address(r, c), covered=is_covered))
        rows.append(line)
    return trim_table(Table(rows))
