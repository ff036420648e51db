"""The indicator table and its total row, read under their header words.

On a grid document a merged 一级/二级 label covers exactly the rows its
extent says; elsewhere a label carries down to the rows below it until the
next label, as the printed form reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crossfoot.extract.rules.cells import Located, Reading, is_vertical_header, span
from crossfoot.extract.rules.indicators import merge_overlap
from crossfoot.extract.tables.columns import Header, Placed, find_header, note_unknown_columns, place_cells
from crossfoot.extract.values import is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.lexicon import OCR_TOLERANT, Lexicon, label_key, one_edit_apart
from crossfoot.model import HIERARCHY, LEVEL1_LABELS, LEVEL2_LABELS, PARENT, Indicator, Record, Severity

__all__ = ["IndicatorTable", "normalise_level", "read_indicator_table"]

#: lines that close the table (the form's closing remarks)
_CLOSING = (
    "评价结论",
    "存在问题",
    "改进措施",
    "说明",
    "注:",
    "注：",
    "备注",
    "项目负责人",
    "填表人",
    "审核人",
    "联系电话",
)
_GRADES = frozenset({"优", "良", "中", "差", "优秀", "良好", "合格", "不合格"})
_TARGET_PARTS = ("target_nature", "target", "target_unit")
_TEXT_FIELDS = ("name", "target", "actual", "deviation")


@dataclass
class _Row:
    first: Line
    level1: str | None = None
    level2: str | None = None
    level1_from: Located | None = None
    level2_from: Located | None = None
    inferred: str | None = None
    cells: Placed = field(default_factory=dict)
    fragments: list[Located] = field(default_factory=list)
    prefix: list[Located] = field(default_factory=list)


@dataclass
class IndicatorTable:
    """What the table gave: its header, and whether a total row was found."""

    header: Header | None = None
    total_found: bool = False
    rows: int = 0


def normalise_level(text: str) -> tuple[str | None, str | None, str | None]:
    """(level1, level2, note) for a printed hierarchy label; (None, None, None)
    when the text is no label. ``产出指标(50分)`` is 产出指标; a label missing its
    指标 suffix, or a newer template's sub-label, maps into the fixed
    hierarchy with a note saying so."""
    key = label_key(text)
    if not key:
        return None, None, None
    if OCR_TOLERANT.get() and key not in LEVEL1_LABELS and key not in LEVEL2_LABELS:
        key = _nearest_label(key)
    if key in LEVEL1_LABELS:
        return key, None, None
    if key in LEVEL2_LABELS:
        return None, key, None
    for label in (*LEVEL1_LABELS, *LEVEL2_LABELS):
        if key + "指标" == label:
            return (label, None, None) if label in LEVEL1_LABELS else (None, label, None)
    if key in ("服务对象满意度", "满意度指标(服务对象)", "社会公众满意度指标", "群众满意度指标", "服务对象满意度"):
        return None, "服务对象满意度指标", f"{key} read as 服务对象满意度指标"
    if key.endswith("成本指标") and len(key) <= 8:
        return None, "成本指标", f"{key} read as 成本指标"
    if key.endswith("满意度指标") and len(key) <= 10 and key != "满意度指标":
        return None, "服务对象满意度指标", f"{key} read as 服务对象满意度指标"
    return None, None, None


def _nearest_label(key: str) -> str:
    """On a scan: the one hierarchy label an OCR slip away (质量指示), with a
    score note that lost its bracket dropped (效益:指标(20分)."""
    key = re.sub(r"[(:][^()]*分?$", "", key.replace(":", "")) or key
    near = [label for label in (*LEVEL1_LABELS, *LEVEL2_LABELS) if one_edit_apart(key, label)]
    return near[0] if len(near) == 1 else key


def _closing(line: Line) -> bool:
    first = line.filled[0].text if line.filled else ""
    key = label_key(first)
    return any(key.startswith(label_key(w)) for w in _CLOSING)


def _cover_map(lines: list[Line]) -> dict[tuple[int, int], Located]:
    """(line number, column) -> the merged cell covering it."""
    covered: dict[tuple[int, int], Located] = {}
    for line in lines:
        for cell in line.cells:
            if (cell.rows > 1 or cell.cols > 1) and cell.text.strip():
                for dr in range(cell.rows):
                    for dc in range(cell.cols):
                        covered[(line.number + dr, cell.column + dc)] = (line, cell)
    return covered


def read_indicator_table(
    lines: list[Line], lexicon: Lexicon, reading: Reading, record: Record, grid: bool, start: int
) -> IndicatorTable:
    """Indicators and totals into ``record``; what was found in the result."""
    found = find_header(
        lines[start:], lexicon, "indicator_columns", required=2, must=frozenset({"name", "level1", "level2"})
    )
    table = IndicatorTable()
    if found is None:
        return table
    at, header = found
    table.header = header
    note_unknown_columns(header, reading, "indicators")
    body_start = start + at + len(header.lines)
    covered = _cover_map(lines[start + at :]) if grid else {}
    rows: list[_Row] = []
    carry: tuple[str | None, str | None, Located | None, Located | None] = (None, None, None, None)
    previous: Line | None = None
    pending: list[Located] = []  # a name piece printed just before a page break
    body = lines[body_start:]
    for index, line in enumerate(body):
        if line.is_blank:
            continue
        if _is_repeated_header(line, lexicon):
            continue
        if _is_total_line(line, lexicon, header):
            _read_totals(line, header, grid, reading, record, lexicon)
            table.total_found = True
            break
        if _closing(line):
            break
        placed, stray = place_cells(line, header, grid)
        labels = _labels(line, header, placed, stray, covered)
        for located in placed.get("unknown", []):
            reading.provenance.setdefault("unmapped.indicators", []).append(span(located))
        values = {k: v for k, v in placed.items() if k not in ("level1", "level2", "ignored", "unknown")}
        values = {
            k: [(ln, c) for ln, c in v if not is_vertical_header(c.text) or k != "name"] for k, v in values.items()
        }
        values = {k: v for k, v in values.items() if v}
        level1, level2, from1, from2 = carry
        if labels[0] is not None:
            level1, from1 = labels[0], labels[2]
            if labels[1] is None and (level2 is None or PARENT.get(level2) != level1):
                level2, from2 = None, None
        if labels[1] is not None:
            level2, from2 = labels[1], labels[3]
            if labels[0] is None and PARENT.get(level2) != level1:
                level1, from1 = PARENT[level2], None
        carry = (level1, level2, from1, from2)
        if not values:
            previous = line
            continue  # a label-only line
        before_break = index + 1 < len(body) and body[index + 1].is_blank
        if rows and not grid and not before_break and _is_continuation(line, values, labels, previous, rows[-1]):
            for key, cells in values.items():
                rows[-1].cells.setdefault(key, []).extend(cells)
            previous = line
            continue
        if not grid and set(values) == {"name"} and len(values["name"]) == 1:
            # a name piece alone on its line, cut by a page break: standing
            # just before the break it starts the row below; otherwise it ends
            # the row above (a repeated seam character is dropped)
            if before_break:
                pending.append(values["name"][0])
            elif rows:
                rows[-1].fragments.append(values["name"][0])
            previous = line
            continue
        rows.append(_Row(line, level1, level2, from1, from2, cells=values, prefix=pending))
        pending = []
        previous = line
    table.rows = len(rows)
    record.indicators = _to_indicators(rows, reading)
    return table


def _is_repeated_header(line: Line, lexicon: Lexicon) -> bool:
    names = {lexicon.match("indicator_columns", c.text) for c in line.filled}
    names.discard(None)
    return len(names) >= 3


def _is_total_line(line: Line, lexicon: Lexicon, header: Header) -> bool:
    first_value = min((c.first for c in header.columns if c.field not in ("level1", "level2", "name")), default=99)
    for cell in line.filled:
        if lexicon.is_total_label(cell.text):
            return cell.column < first_value or cell == line.filled[0]
    return False


def _labels(
    line: Line, header: Header, placed: Placed, stray: list[Cell], covered: dict[tuple[int, int], Located]
) -> tuple[str | None, str | None, Located | None, Located | None]:
    """The 一级 / 二级 labels a line prints or lies under."""
    level1 = level2 = None
    from1 = from2 = None
    candidates: list[Located] = []
    for key in ("level1", "level2"):
        candidates.extend(placed.get(key, []))
    candidates.extend((line, c) for c in stray)
    for key in ("level1", "level2"):
        column = header.column(key)
        if column is not None and not placed.get(key) and (line.number, column.first) in covered:
            candidates.append(covered[(line.number, column.first)])
    for located in candidates:
        l1, l2, _ = normalise_level(located[1].text)
        if l1 and level1 is None:
            level1, from1 = l1, located
        if l2 and level2 is None:
            level2, from2 = l2, located
    return level1, level2, from1, from2


def _is_continuation(line: Line, values: Placed, labels: tuple[object, ...], previous: Line | None, row: _Row) -> bool:
    """A wrapped piece of the row above: one text cell, no label, no number."""
    if any(labels) or len(line.filled) != 1 or is_number(line.filled[0].text):
        return False
    return previous is not None and line.number - previous.number == 1 and set(values) <= set(_TEXT_FIELDS)


def _number_cells(line: Line, skip: Cell) -> list[Cell]:
    return [c for c in line.filled if c is not skip and is_number(c.text)]


def _read_totals(line: Line, header: Header, grid: bool, reading: Reading, record: Record, lexicon: Lexicon) -> None:
    label = next(c for c in line.filled if lexicon.is_total_label(c.text))
    weight = score = None
    if grid:  # exact columns; elsewhere the numbers are read right to left
        placed, _ = place_cells(line, header, grid, skip={label.column})
        weight = next(((ln, c) for ln, c in placed.get("weight", []) if is_number(c.text)), None)
        score = next(((ln, c) for ln, c in placed.get("score", []) if is_number(c.text)), None)
    numbers = _number_cells(line, label)
    if weight is None and score is None and numbers:
        has_weight, has_score = header.column("weight") is not None, header.column("score") is not None
        if len(numbers) >= 2 and has_weight:
            weight, score = (line, numbers[-2]), (line, numbers[-1])
        elif has_weight and has_score:  # one number: under the nearer column
            only = numbers[-1]
            w, s = header.column("weight"), header.column("score")
            assert w is not None and s is not None
            if abs(only.column - w.centre) < abs(only.column - s.centre):
                weight = (line, only)
            else:
                score = (line, only)
        elif has_score or not has_weight:
            score = (line, numbers[-1])
        else:
            weight = (line, numbers[-1])
    record.total_weight = reading.number("total_weight", weight)
    record.total_score = reading.number("total_score", score)
    for cell in line.filled:
        if label_key(cell.text) in _GRADES and record.grade is None:
            record.grade = reading.text("grade", [(line, cell)])


def _joined(cells: list[Located]) -> str:
    return "".join(c.text.strip() for _, c in cells)


def _name(row: _Row) -> tuple[list[Located], str]:
    cells = row.cells.get("name", [])
    text = merge_overlap(_joined(row.prefix), _joined(cells))
    for located in row.fragments:
        text = merge_overlap(text, located[1].text.strip())
    return row.prefix + cells + row.fragments, text


def _to_indicators(rows: list[_Row], reading: Reading) -> list[Indicator]:
    indicators: list[Indicator] = []
    for n, row in enumerate(rows):
        path = f"indicators.{n}"
        target_cells = [lc for part in _TARGET_PARTS for lc in row.cells.get(part, [])]
        target_cells.sort(key=lambda lc: (lc[0].number, lc[1].column))
        texts = {
            "name": reading.text(f"{path}.name", *_name(row)),
            "target": reading.text(f"{path}.target", target_cells, _joined(target_cells)),
            "actual": reading.text(f"{path}.actual", row.cells.get("actual", []), _joined(row.cells.get("actual", []))),
            "deviation": reading.text(
                f"{path}.deviation", row.cells.get("deviation", []), _joined(row.cells.get("deviation", []))
            ),
        }
        weight_cells, score_cells = row.cells.get("weight", []), row.cells.get("score", [])
        weight = reading.number(f"{path}.weight", weight_cells[0] if weight_cells else None)
        score = reading.number(f"{path}.score", score_cells[0] if score_cells else None)
        level1, level2 = row.level1, row.level2
        if level2 is None:
            level1 = level1 or LEVEL1_LABELS[0]
            only_child = len(HIERARCHY[level1]) == 1
            level2 = HIERARCHY[level1][0]
            reading.note(
                "indicator_level_inferred" if only_child else "indicator_level_unread",
                f"line {row.first.number}: no 二级指标 printed for this row; {level2} placed by rule",
                [f"{path}.level2"],
                Severity.info if only_child else Severity.warning,
            )
        elif level1 is None:
            level1 = PARENT[level2]
        if row.level1_from:
            reading.provenance[f"{path}.level1"] = [span(row.level1_from)]
        if row.level2_from:
            reading.provenance[f"{path}.level2"] = [span(row.level2_from)]
        if not texts["name"]:
            reading.note(
                "indicator_name_unread",
                f"line {row.first.number}: indicator row without a 三级指标 name",
                [f"{path}.name"],
                Severity.error,
            )
        indicators.append(
            Indicator(
                level1=level1,
                level2=level2,
                name=texts["name"] or "",
                target=texts["target"],
                actual=texts["actual"],
                deviation=texts["deviation"],
                weight=weight,
                score=score,
            )
        )
    return indicators
