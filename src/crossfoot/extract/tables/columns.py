"""Columns by header words, and the cells of a row placed under them.

A header line names its columns with lexicon words; each named column gets a
``Column`` (field + the grid columns it covers). A data line's cells are then
placed under those columns:

- on a grid document (HTML, XLSX, DOCX, CSV) by the columns a cell covers,
  exactly;
- elsewhere (text dumps, PDF and OCR rows) the cell positions drift by a
  column or two, so cells are aligned to the header columns in order, at the
  least cost of position distance and of a type that does not fit (a word
  under a number column), which is an edit-distance alignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossfoot.extract.rules.cells import Reading, is_vertical_header, span
from crossfoot.extract.values import DASHES, is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.lexicon import Lexicon, label_key
from crossfoot.model import Severity

__all__ = ["Column", "Header", "Placed", "find_header", "note_unknown_columns", "place_cells"]

NUMERIC_FIELDS = frozenset({"initial_budget", "annual_budget", "executed", "execution_rate", "weight", "score"})
LABEL_FIELDS = frozenset({"level1", "level2"})

#: what it costs to leave a printed cell unplaced / to misplace a type
_SKIP_CELL = 9.0
_WRONG_TYPE = 6.0


@dataclass(frozen=True)
class Column:
    """One header column: the field it fills and the grid columns it covers."""

    field: str
    first: int
    last: int
    label: Cell
    line: Line

    def covers(self, cell: Cell) -> bool:
        return self.first <= cell.column + cell.cols - 1 and cell.column <= self.last

    @property
    def centre(self) -> float:
        return (self.first + self.last) / 2


@dataclass
class Header:
    """A block's header: its columns in order, and what it did not know."""

    lines: list[Line]
    columns: list[Column]
    unknown: list[tuple[Line, Cell]] = field(default_factory=list)

    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.field not in SINKS}

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.field == name), None)


#: field -> the (line, cell) placed under it, in printed order
Placed = dict[str, list[tuple[Line, Cell]]]


#: fields that take cells but fill nothing: known-but-unused and unknown columns
SINKS = frozenset({"ignored", "unknown"})


def _header_columns(line: Line, lexicon: Lexicon, category: str) -> tuple[list[Column], list[Cell]]:
    """Named columns, and the header cells no lexicon word names. An unknown
    header cell right of the first named column is still a column (``unknown``):
    its cells are kept aside, never pushed into a neighbouring field."""
    columns: list[Column] = []
    unknown: list[Cell] = []
    for cell in line.filled:
        name = lexicon.match(category, cell.text)
        if name is None:
            unknown.append(cell)
        else:  # an "ignored" column (原因, 备注) still takes its cells
            columns.append(Column(name, cell.column, cell.column + cell.cols - 1, cell, line))
    if category == "indicator_columns":
        columns, unknown = _levels_in_order(line, columns, unknown)
    if columns:
        first = min(c.first for c in columns)
        columns += [Column("unknown", c.column, c.column + c.cols - 1, c, line) for c in unknown if c.column > first]
        columns.sort(key=lambda c: (c.first, c.last))
    return columns, unknown


_LEVEL_ORDER = ("level1", "level2", "name")


def _levels_in_order(line: Line, columns: list[Column], unknown: list[Cell]) -> tuple[list[Column], list[Cell]]:
    """一级 / 二级 / 三级指标 always print in that order. When a header names
    them wrongly (an OCR slip: 级指标, 一级指标, 三级指标), the three cells ending
    in 级指标 are taken in order."""
    tiers = [c for c in line.filled if label_key(c.text).endswith("级指标") and len(label_key(c.text)) <= 5]
    named = [c.field for c in columns if c.field in _LEVEL_ORDER]
    if len(tiers) != 3 or named == list(_LEVEL_ORDER):
        return columns, unknown
    kept = [c for c in columns if c.label not in tiers]
    ordered = [Column(f, c.column, c.column + c.cols - 1, c, line) for f, c in zip(_LEVEL_ORDER, tiers, strict=True)]
    return sorted(kept + ordered, key=lambda c: (c.first, c.last)), [c for c in unknown if c not in tiers]


def find_header(
    lines: list[Line], lexicon: Lexicon, category: str, required: int, must: frozenset[str] = frozenset()
) -> tuple[int, Header] | None:
    """The first line naming at least ``required`` distinct fields of
    ``category`` (and one of ``must``, when given), with a second header line
    merged in when the first spans sub-columns (年度指标值 over
    指标性质 / 指标值 / 度量单位)."""
    for index, line in enumerate(lines):
        columns, unknown = _header_columns(line, lexicon, category)
        names = {c.field for c in columns} - SINKS
        if len(names) < required or (must and not names & must):
            continue
        header = Header([line], columns, [(line, c) for c in unknown])
        last = index
        if last + 1 < len(lines) and _merge_wrapped_words(header, lines[last + 1], lexicon, category):
            last += 1  # the header's words wrapped onto the next line
        if last + 1 < len(lines):
            _merge_sub_header(header, lines[last + 1], lexicon, category)
        return index, header
    return None


def _merge_wrapped_words(header: Header, below: Line, lexicon: Lexicon, category: str) -> bool:
    """Header words wrapped in a narrow cell (年度指标 / 值, 偏差原因分析及 /
    改进措施): the piece on the line below, under a header cell whose text
    with it makes a lexicon word, completes that word."""
    if not below.filled or any(is_number(c.text) or len(c.text.strip()) > 10 for c in below.filled):
        return False
    head = header.lines[0]
    completed: list[tuple[Cell, str]] = []
    for piece in below.filled:
        above = next((c for c in head.filled if c.column <= piece.column <= c.column + c.cols - 1), None)
        name = lexicon.match(category, above.text + piece.text) if above is not None else None
        if above is not None and name is not None:
            completed.append((above, name))
    if not completed:
        return False
    columns = [c for c in header.columns if all(c.label is not above for above, _ in completed)]
    for above, name in completed:
        columns.append(Column(name, above.column, above.column + above.cols - 1, above, head))
    header.columns = sorted(columns, key=lambda c: (c.first, c.last))
    header.unknown = [(ln, c) for ln, c in header.unknown if all(c is not above for above, _ in completed)]
    header.lines.append(below)
    return True


def _merge_sub_header(header: Header, below: Line, lexicon: Lexicon, category: str) -> None:
    sub, _ = _header_columns(below, lexicon, category)
    if len(sub) < 2 or any(is_number(c.text) for c in below.filled):
        return
    header.lines.append(below)
    replaced = [c for c in header.columns if any(_overlaps(c, s) for s in sub) and c.last > c.first]
    kept = [c for c in header.columns if c not in replaced]
    header.columns = sorted(kept + sub, key=lambda c: (c.first, c.last))


def _overlaps(a: Column, b: Column) -> bool:
    return a.first <= b.last and b.first <= a.last


def is_placeholder(text: str) -> bool:
    return "".join(text.split()) in DASHES


def _is_level_label(text: str) -> bool:
    from crossfoot.extract.tables.indicators import normalise_level

    level1, level2, _ = normalise_level(text)
    return bool(level1 or level2)


def _label_piece(text: str) -> bool:
    """A piece of a hierarchy label wrapped in a narrow cell (可持续影 / 响指标)."""
    from crossfoot.model import LEVEL1_LABELS, LEVEL2_LABELS

    key = label_key(text)
    return len(key) >= 2 and any(key in label for label in (*LEVEL1_LABELS, *LEVEL2_LABELS))


def _fits(column: Column, cell: Cell) -> float:
    """What placing this cell under this column costs beyond its distance: a
    word under a number column, a non-label under a 一级/二级 column, a label
    or a number under the 三级指标 name, a bare number as a deviation reason."""
    text = cell.text
    if column.field in NUMERIC_FIELDS:
        # a short cell with digits ("30,000元", an OCR'd "l0O") stays a number
        # cell, so that reading it gives a finding rather than a shifted row
        short_digits = len(text.strip()) <= 12 and any(ch.isdigit() for ch in text)
        return 0.0 if is_number(text) or is_placeholder(text) or short_digits else _WRONG_TYPE
    if column.field in LABEL_FIELDS:
        if _is_level_label(text) or is_vertical_header(text) or _label_piece(text):
            return 0.0
        return _WRONG_TYPE
    if column.field == "name" and (is_number(text) or _is_level_label(text)):
        return _WRONG_TYPE
    if column.field == "deviation" and is_number(text):
        return _WRONG_TYPE / 2
    return 0.0


def place_cells(line: Line, header: Header, grid: bool, skip: set[int] | None = None) -> tuple[Placed, list[Cell]]:
    """The line's filled cells placed under the header's columns, and the
    cells that fit under none."""
    cells = [c for c in line.filled if not skip or c.column not in skip]
    if grid:
        return _place_by_extent(line, cells, header.columns)
    return _place_by_alignment(line, cells, header.columns)


def _place_by_extent(line: Line, cells: list[Cell], columns: list[Column]) -> tuple[Placed, list[Cell]]:
    placed: Placed = {}
    stray: list[Cell] = []
    for cell in cells:
        owner = next((c for c in columns if c.covers(cell)), None)
        if owner is None:
            stray.append(cell)
        else:
            placed.setdefault(owner.field, []).append((line, cell))
    return placed, stray


def _place_by_alignment(line: Line, cells: list[Cell], columns: list[Column]) -> tuple[Placed, list[Cell]]:
    """Monotone alignment of cells to columns (each column takes at most one
    cell), minimising position distance plus type penalties."""
    n, m = len(cells), len(columns)
    inf = float("inf")
    # cost[i][j]: best cost placing the first i cells using the first j columns
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    move: list[list[str]] = [[""] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        cost[0][j] = 0.0
        move[0][j] = "col" if j else ""
    for i in range(1, n + 1):
        cost[i][0] = cost[i - 1][0] + _SKIP_CELL
        move[i][0] = "cell"
        for j in range(1, m + 1):
            cell, column = cells[i - 1], columns[j - 1]
            options = (
                (cost[i - 1][j - 1] + abs(cell.column - column.centre) + _fits(column, cell), "pair"),
                (cost[i - 1][j] + _SKIP_CELL, "cell"),
                (cost[i][j - 1], "col"),
            )
            cost[i][j], move[i][j] = min(options, key=lambda o: o[0])
    placed: Placed = {}
    stray: list[Cell] = []
    i, j = n, m
    while i > 0:
        step = move[i][j]
        if step == "pair":
            placed.setdefault(columns[j - 1].field, []).insert(0, (line, cells[i - 1]))
            i, j = i - 1, j - 1
        elif step == "cell":
            stray.insert(0, cells[i - 1])
            i -= 1
        else:
            j -= 1
    return placed, stray


def note_unknown_columns(header: Header, reading: Reading, block: str) -> None:
    first = min((c.first for c in header.columns), default=0)
    for line, cell in header.unknown:
        if cell.column > first:
            reading.provenance.setdefault(f"unmapped.{block}", []).append(span((line, cell)))
            reading.note(
                "column_unknown",
                f"line {line.number}: the {block} column {cell.text.strip()!r} is not in the lexicon; "
                "its cells are kept in provenance, not in the record",
                [block],
                Severity.info,
            )
