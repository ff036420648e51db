"""Title block, goals, 总分 and 评分等级: the fields outside the two tables."""

from __future__ import annotations

import re

from crossfoot.extract.rules.cells import Located, Reading, find_cell, is_vertical_header, span
from crossfoot.extract.values import is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.model import Record, SourceSpan
from crossfoot.segment import compact

__all__ = ["INDICATOR_HEADER_KEYS", "read_goals", "read_header", "read_totals"]

_YEAR = re.compile(r"[(（]\s*(\d{4})\s*年度?\s*[)）]")
INDICATOR_HEADER_KEYS = ("一级指标", "三级指标")


def _next_filled(line: Line, after: Cell, stop: tuple[str, ...] = ()) -> Cell | None:
    for cell in line.filled:
        if cell.column > after.column:
            return None if compact(cell.text) in stop else cell
    return None


def read_header(lines: list[Line], reading: Reading, record: Record) -> None:
    """year, project_name, department, implementing_unit, amount_unit, grade."""
    for line in lines[:8]:
        match = _YEAR.search(line.text)
        if match:
            record.year = int(match.group(1))
            reading.provenance["year"] = [_line_span(line, match.group(0))]
            break
    else:
        reading.note("year_unread", "no (20xx 年度) line under the title", ["year"])

    labels = {
        "project_name": ("项目名称",),
        "department": ("主管部门",),
        "implementing_unit": ("实施单位",),
        "grade": ("评分等级",),
    }
    stops = ("主管部门", "实施单位")
    for field, keys in labels.items():
        for line in lines:
            label = find_cell(line, *keys)
            if label is None:
                continue
            value = _next_filled(line, label, stops)
            if value is not None:
                setattr(record, field, reading.text(field, [(line, value)]))
            break
    if not record.project_name:
        reading.note("project_name_unread", "no 项目名称 was read", ["project_name"])
        record.project_name = ""
    for line in lines:
        cell = find_cell(line, "项目资金", exact=False)
        if cell is not None:
            key = compact(cell.text)
            record.amount_unit = "万元" if "万元" in key else "元" if "元" in key else None
            reading.provenance["amount_unit"] = [_line_span(line, cell.text, cell)]
            break


def _line_span(line: Line, raw: str, cell: Cell | None = None) -> SourceSpan:
    """The span of ``cell``, or of the cell on ``line`` that prints ``raw``."""
    first = line.filled[0] if line.filled else Cell(column=0, text=raw)
    owner = cell or next((c for c in line.filled if raw in c.text), first)
    return span((line, owner))


def read_goals(lines: list[Line], reading: Reading, record: Record) -> None:
    """预期目标 / 实际完成情况: the text under the goals header, by column."""
    start = None
    for i, line in enumerate(lines):
        if find_cell(line, "预期目标", "预算目标") is not None:
            start = i
            break
    if start is None:
        reading.note("goals_unread", "no 预期目标 header", ["goal_expected", "goal_actual"])
        return
    head = lines[start]
    expected_col = find_cell(head, "预期目标", "预算目标").column  # type: ignore[union-attr]
    actual_cell = find_cell(head, "实际完成情况")
    actual_col = actual_cell.column if actual_cell else expected_col + 3
    expected: list[Located] = []
    actual: list[Located] = []
    for line in lines[start + 1 :]:
        if any(find_cell(line, k) for k in INDICATOR_HEADER_KEYS) or find_cell(line, "绩效指标"):
            break
        cells = [c for c in line.filled if not is_vertical_header(c.text)]
        if len(cells) >= 2:
            expected.append((line, cells[0]))
            actual.extend((line, c) for c in cells[1:])
        elif len(cells) == 1:
            cell = cells[0]
            nearer_actual = abs(cell.column - actual_col) < abs(cell.column - expected_col)
            (actual if nearer_actual else expected).append((line, cell))
    record.goal_expected = reading.text("goal_expected", expected)
    record.goal_actual = reading.text("goal_actual", actual)


def read_totals(lines: list[Line], reading: Reading, record: Record, score_col: int | None) -> bool:
    """The 总分 row: 分值 and 得分. Returns False when no such row exists."""
    for line in lines:
        label = find_cell(line, "总分")
        if label is None:
            continue
        numbers = [c for c in line.filled if c.column > label.column and is_number(c.text)]
        if len(numbers) >= 2:
            record.total_weight = reading.number("total_weight", (line, numbers[-2]))
            record.total_score = reading.number("total_score", (line, numbers[-1]))
        elif len(numbers) == 1:
            only = numbers[0]
            is_score = score_col is not None and only.column >= score_col
            field = "total_score" if is_score else "total_weight"
            setattr(record, field, reading.number(field, (line, only)))
        return True
    return False
