"""The 项目资金 block: four rows × six columns, whatever the column drift.

Text dumps pad rows with stray empty cells, so positions are learned from the
block itself: the 年度资金总额 row, which prints every column, fixes where each
column sits; the breakdown rows are read against those positions.
"""

from __future__ import annotations

from crossfoot.extract.rules.cells import Located, Reading, find_cell
from crossfoot.extract.values import DASHES, is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.model import FUNDING_COLUMNS, Funding, FundingRow, Severity
from crossfoot.segment import compact

__all__ = ["read_funding"]

_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "total": ("年度资金总额", "资金总额"),
    "current_year": ("当年财政拨款", "本年财政拨款", "财政拨款"),
    "carryover": ("上年结转", "上年结余", "结转结余"),
    "other": ("其他资金",),
}
_COLUMN_KEYS: tuple[tuple[str, str], ...] = (
    ("年初预算", "initial_budget"),
    ("全年预算", "annual_budget"),
    ("全年执行", "executed"),
    ("执行率", "execution_rate"),
    ("分值", "weight"),
    ("分数", "weight"),
    ("得分", "score"),
)


def _header_order(header: Line) -> list[str]:
    order: list[str] = []
    for cell in header.filled:
        text = compact(cell.text)
        for key, field in _COLUMN_KEYS:
            if key in text and field not in order:
                order.append(field)
                break
    return order if len(order) == len(FUNDING_COLUMNS) else list(FUNDING_COLUMNS)


def _row_label(line: Line) -> tuple[str, Cell] | None:
    for cell in line.filled:
        text = compact(cell.text)
        for row, keys in _ROW_KEYS.items():
            if any(k in text for k in keys):
                return row, cell
    return None


def _values(line: Line, label: Cell) -> list[Cell]:
    # a cell with digits that is not a clean number ("30,000元") is kept, so
    # that reading it gives an unreadable_number finding instead of a shift
    return [
        c
        for c in line.filled
        if c.column > label.column
        and (is_number(c.text) or compact(c.text) in DASHES or any(ch.isdigit() for ch in c.text))
    ]


def read_funding(lines: list[Line], reading: Reading) -> Funding:
    """Read the funding block; a row never printed stays null."""
    funding = Funding()
    header_at = next(
        (i for i, line in enumerate(lines) if find_cell(line, "年初预算数", "年初预算")),
        None,
    )
    if header_at is None:
        reading.note("funding_unread", "no 项目资金 header (年初预算数)", ["funding"], Severity.error)
        return funding
    order = _header_order(lines[header_at])
    rows: dict[str, tuple[Line, list[Cell]]] = {}
    for line in lines[header_at + 1 : header_at + 12]:
        labelled = _row_label(line)
        if labelled is None:
            if find_cell(line, "预期目标", "预算目标", "一级指标"):
                break
            if sum(is_number(c.text) for c in line.filled) >= 2:
                reading.note(
                    "funding_row_unread",
                    f"line {line.number}: a funding row with numbers but no label crossfoot knows "
                    f"({line.filled[0].text!r}); its values are not in the record",
                    ["funding"],
                    Severity.error,
                )
            continue
        row, label = labelled
        rows.setdefault(row, (line, _values(line, label)))

    layout = _layout(rows, order, lines[header_at])
    for row, (line, cells) in rows.items():
        placed = _place(cells, layout, order)
        if placed is None or (not layout and len(cells) != len(order)):
            reading.note(
                "funding_cells_ambiguous",
                f"line {line.number}: funding.{row} cells do not line up with the "
                "年度资金总额 columns; read in printed order",
                [f"funding.{row}"],
            )
            placed = dict(zip(order, cells, strict=False))
        values = {
            field: reading.number(f"funding.{row}.{field}", _at(line, placed.get(field))) for field in FUNDING_COLUMNS
        }
        setattr(funding, row, FundingRow(**values))
    return funding


def _at(line: Line, cell: Cell | None) -> Located | None:
    return None if cell is None else (line, cell)


def _layout(rows: dict[str, tuple[Line, list[Cell]]], order: list[str], header: Line) -> dict[int, str]:
    """Column index -> field: from the fullest row when it prints every column,
    else from the header's columns at the offset that best fits the cells."""
    fullest = max(rows.values(), key=lambda lc: len(lc[1]), default=None)
    if fullest is None:
        return {}
    if len(fullest[1]) == len(order):
        return {cell.column: field for cell, field in zip(fullest[1], order, strict=True)}
    header_columns = [c.column for c in header.filled if any(k in compact(c.text) for k, _ in _COLUMN_KEYS)]
    if len(header_columns) != len(order):
        return {}
    cells = {c.column for _, row_cells in rows.values() for c in row_cells}
    best = max(range(-3, 4), key=lambda d: (sum((h + d) in cells for h in header_columns), -abs(d)))
    return {h + best: field for h, field in zip(header_columns, order, strict=True)}


def _place(cells: list[Cell], layout: dict[int, str], order: list[str]) -> dict[str, Cell] | None:
    if layout and all(c.column in layout for c in cells):
        return {layout[c.column]: c for c in cells}
    if len(cells) == len(order) or not layout:
        return dict(zip(order, cells, strict=False))
    return None
