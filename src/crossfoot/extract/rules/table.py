"""Indicator table, step 1: classify each printed line.

A line of the 绩效指标 table is a *main row* (it prints a 分值/得分 pair), a
*fragment* (text but no pair: a wrapped or page-split piece of a neighbour),
or *labels only*. Labels (一级/二级指标) are kept apart from the data cells
because broken layouts print them in any column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossfoot.extract.rules.cells import (
    Located,
    find_cell,
    is_level1,
    is_level2,
    is_vertical_header,
    looks_like_label,
)
from crossfoot.extract.values import DASHES, is_number
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.segment import compact

__all__ = ["Item", "TableLayout", "classify_lines"]

TEXT_FIELDS = ("name", "target", "actual")


@dataclass
class TableLayout:
    """Column of each field in the table header (None when not printed)."""

    name: int | None = None
    target: int | None = None
    actual: int | None = None
    weight: int | None = None
    score: int | None = None
    deviation: int | None = None

    @classmethod
    def from_header(cls, header: Line) -> TableLayout:
        keys = {
            "name": "三级指标",
            "target": "指标值",
            "actual": "完成值",
            "weight": "分值",
            "score": "得分",
            "deviation": "偏差",
        }
        layout = cls()
        for attr, key in keys.items():
            cell = find_cell(header, key, exact=False)
            if cell is not None:
                setattr(layout, attr, cell.column)
        return layout


@dataclass(slots=True)
class Item:
    """One printed line of the table, classified."""

    line: Line
    level1: list[Located] = field(default_factory=list)
    level2: list[Located] = field(default_factory=list)
    data: list[Cell] = field(default_factory=list)
    unknown_labels: list[Located] = field(default_factory=list)
    # main rows only
    fields: dict[str, list[Located]] = field(default_factory=dict)
    after_break: bool = False
    before_break: bool = False

    @property
    def is_main(self) -> bool:
        return "weight" in self.fields or "score" in self.fields

    @property
    def has_labels(self) -> bool:
        return bool(self.level1 or self.level2)


def _plain_number(cell: Cell) -> bool:
    """分值 and 得分 print as plain numbers; a % belongs to a target or actual."""
    return is_number(cell.text) and "%" not in cell.text


def _is_placeholder(cell: Cell) -> bool:
    return compact(cell.text) in DASHES


def _pair_index(data: list[Cell]) -> int | None:
    """Index of the 分值 cell: the last two adjacent plain numbers (a dash may
    stand for one of them), text such as 偏差原因 may follow."""
    end = len(data)
    while end > 0 and not (_plain_number(data[end - 1]) or _is_placeholder(data[end - 1])):
        end -= 1
    if end < 2:
        return None
    # a "/" or "—" in the 偏差原因 column after two plain numbers is not 得分
    if end >= 3 and _is_placeholder(data[end - 1]) and _plain_number(data[end - 3]) and _plain_number(data[end - 2]):
        return end - 3
    weight, score = data[end - 2], data[end - 1]
    slots = [c for c in (weight, score) if _plain_number(c) or _is_placeholder(c)]
    if len(slots) == 2 and any(_plain_number(c) for c in slots):
        return end - 2
    return None


def _numberish(cell: Cell) -> bool:
    """A 分值/得分 cell as it may really print: a number, a dash, or an
    OCR-garbled number (digits with a stray letter)."""
    text = "".join(cell.text.split())
    if compact(text) in DASHES:
        return True
    return len(text) <= 12 and sum(ch.isdigit() for ch in text) >= max(1, len(text) // 2)


def _pair_by_column(data: list[Cell], layout: TableLayout) -> tuple[int, int | None] | None:
    """Where the strict pair is missing, find 分值/得分 by the header's columns
    (rows drift by a column or two). Returns (weight index, score index)."""
    if layout.weight is None or len(data) < 3:
        return None
    index = {cell.column: i for i, cell in enumerate(data)}
    for shift in (0, 1, -1, 2, -2):
        w = index.get(layout.weight + shift)
        if w is None or w < 2 or not _numberish(data[w]):
            continue
        s = index.get(layout.weight + shift + 1)
        if s is not None and not _numberish(data[s]):
            s = None
        return w, s
    return None


def _assign_text(cells: list[Cell], weight_col: int, layout: TableLayout) -> dict[str, list[Cell]]:
    """Map the cells before the pair to name / target / actual."""
    if len(cells) >= 3:
        # extra leading cells are labels this table prints outside the fixed
        # hierarchy (e.g. 服务对象满意度 without 指标): reported, never glued
        # onto the name
        return {"name": [cells[-3]], "target": [cells[-2]], "actual": [cells[-1]], "extra": cells[:-3]}
    if not cells:
        return {}
    # Fewer than three: which field is absent? Compare each cell's distance to
    # the weight column with the header's distances (rows may be shifted, but
    # the gaps between a row's own cells survive).
    gaps = {
        "name": (layout.weight - layout.name) if layout.weight is not None and layout.name is not None else 3,
        "target": (layout.weight - layout.target) if layout.weight is not None and layout.target is not None else 2,
        "actual": (layout.weight - layout.actual) if layout.weight is not None and layout.actual is not None else 1,
    }
    choices = (
        [("name", "target"), ("name", "actual"), ("target", "actual")]
        if len(cells) == 2
        else [
            ("name",),
            ("target",),
            ("actual",),
        ]
    )

    def cost(choice: tuple[str, ...]) -> int:
        return sum(abs((weight_col - c.column) - gaps[f]) for c, f in zip(cells, choice, strict=True))

    best = min(choices, key=cost)  # ties keep the earlier, likelier choice
    return {f: [c] for c, f in zip(cells, best, strict=True)}


def classify_lines(lines: list[Line], document: Document, layout: TableLayout) -> list[Item]:
    """Classify the table's lines (header and 总分 excluded) into Items."""
    items: list[Item] = []
    previous: Line | None = None
    pending_break = False  # a break seen on a line that is not an item
    for line in lines:
        if line.is_blank:
            continue
        item = Item(line=line)
        for cell in line.filled:
            if is_level1(cell.text):
                item.level1.append((line, cell))
            elif is_level2(cell.text):
                item.level2.append((line, cell))
            elif is_vertical_header(cell.text):
                continue
            elif not item.data and looks_like_label(cell.text):
                item.unknown_labels.append((line, cell))  # never glued onto the name
            else:
                item.data.append(cell)
        pair = _pair_index(item.data)
        loose = None if pair is not None else _pair_by_column(item.data, layout)
        if pair is not None or loose is not None:
            w_index, s_index = (pair, pair + 1) if pair is not None else loose  # type: ignore[misc]
            weight = item.data[w_index]
            item.fields["weight"] = [(line, weight)]
            last = w_index
            if s_index is not None:
                item.fields["score"] = [(line, item.data[s_index])]
                last = s_index
            if last + 1 < len(item.data):
                item.fields["deviation"] = [(line, c) for c in item.data[last + 1 :]]
            for name, cells in _assign_text(item.data[:w_index], weight.column, layout).items():
                if name == "extra":
                    item.unknown_labels.extend((line, c) for c in cells)
                else:
                    item.fields[name] = [(line, c) for c in cells]
        if previous is not None and document.page_break_between(previous, line):
            pending_break = True
            if items:
                items[-1].before_break = True
        if item.data or item.has_labels:
            item.after_break = pending_break
            pending_break = False
            items.append(item)
        previous = line
    return items


def table_bounds(lines: list[Line]) -> tuple[int | None, int | None]:
    """Indexes of the indicator header line and of the 总分 line."""
    header = next(
        (i for i, line in enumerate(lines) if find_cell(line, "三级指标", "一级指标")),
        None,
    )
    total = next(
        (
            i
            for i, line in enumerate(lines)
            if (header is None or i > header) and any(compact(c.text) == "总分" for c in line.filled)
        ),
        None,
    )
    return header, total
