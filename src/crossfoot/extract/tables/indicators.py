"""The indicator table and its total row, read under their header words.

On a grid document a merged 一级/二级 label covers exactly the rows its
extent says; elsewhere a label carries down to the rows below it until the
next label, as the printed form reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crossfoot.extract.rules.cells import Located, Reading, is_vertical_header, note_row_sources, span
from crossfoot.extract.rules.indicators import merge_overlap
from crossfoot.extract.tables.columns import Header, Placed, find_header, note_unknown_columns, place_cells
from crossfoot.extract.values import is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.lexicon import OCR_TOLERANT, Lexicon, label_key, one_edit_apart
from crossfoot.model import HIERARCHY, LEVEL1_LABELS, LEVEL2_LABELS, PARENT, Indicator, Record, Severity
from crossfoot.segment import is_page_furniture

__all__ = ["IndicatorTable", "normalise_level", "read_indicator_table"]

#: lines that close the table (the form's closing remarks)
_CLOSING = (
    "评价结论",
    "存在问题",
    "改进措施",
    "项目负责人",
    "填表人",
    "审核人",
    "联系电话",
    "其他需要说明事项",
    "其他说明",
    "自评结论",
    "单位主要负责人",
    "财务负责人",
)
#: short closing words: only as the whole cell, or followed by a colon
_CLOSING_SHORT = ("说明", "注", "备注")
_GRADES = frozenset({"优", "良", "中", "差", "优秀", "良好", "合格", "不合格"})
_TARGET_PARTS = ("target_nature", "target", "target_unit")


@dataclass
class _Row:
    first: Line
    level1: str | None = None
    level2: str | None = None
    level1_from: Located | None = None
    level2_from: Located | None = None
    cells: Placed = field(default_factory=dict)
    breaks: set[int] = field(default_factory=set)  # lines that follow a page break


@dataclass
class IndicatorTable:
    """What the table gave: its header, and whether a total row was found."""

    header: Header | None = None
    total_found: bool = False


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
    """The form's closing remarks, which end the indicator table."""
    first = line.filled[0].text if line.filled else ""
    key = label_key(first)
    if any(key.startswith(w) for w in _CLOSING):
        return True
    folded = "".join(first.split()).replace("：", ":")
    return any(key == w or folded.startswith(w + ":") for w in _CLOSING_SHORT)


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


@dataclass
class _Item:
    """One printed line of the table body, its cells placed under the header."""

    line: Line
    placed: Placed
    stray: list[Cell]
    after_break: bool  # a page break stands between it and the line above

    @property
    def values(self) -> Placed:
        return {k: v for k, v in self.placed.items() if k not in _NOT_VALUES and v}

    def has_number(self) -> bool:
        return any(is_number(c.text) for key in ("weight", "score") for _, c in self.placed.get(key, []))


_NOT_VALUES = frozenset({"level1", "level2", "ignored", "unknown"})
#: a placeholder row (……) or a cell that only repeats a weight note ((60分))
_PLACEHOLDER = re.compile(r"^[.…。·\s]+$|^[(（]\s*\d+(\.\d+)?\s*分\s*[)）]$")


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
    items: list[_Item] = []
    after_break = False
    closed = False  # past the closing remarks: only a total row may follow
    for line in lines[body_start:]:
        if line.is_blank or is_page_furniture(line) or (after_break and _running_title(line)):
            after_break = after_break or bool(items)
            continue
        if _is_repeated_header(line, lexicon):
            continue
        if _is_total_line(line, lexicon, header):
            _read_totals(line, header, grid, reading, record, lexicon)
            table.total_found = True
            break
        if closed or _closing(line):
            closed = True
            continue
        kept = Line(number=line.number, page=line.page, cells=[c for c in line.cells if not _PLACEHOLDER.match(c.text)])
        if not kept.filled:
            continue  # a …… placeholder row
        placed, stray = place_cells(kept, header, grid)
        for located in placed.get("unknown", []):
            reading.provenance.setdefault("unmapped.indicators", []).append(span(located))
        items.append(_Item(line, placed, stray, after_break))
        after_break = False
    rows = _grid_rows(items, header, _cover_map(lines[start + at :])) if grid else _text_rows(items)
    record.indicators = _to_indicators(rows, reading)
    return table


Carry = tuple[str | None, str | None, Located | None, Located | None]
_RUNNING_TITLE = re.compile(r"20\d{2}\s*年度?.*(决算|预算|公开|报告|自评)|(决算|预算)公开")


def _running_title(line: Line) -> bool:
    """The document's title at the top of a new page (州政务服务管理局2023年度部门决算)."""
    return len(line.filled) == 1 and bool(_RUNNING_TITLE.search("".join(line.filled[0].text.split())))


def _apply_labels(carry: Carry, labels: Carry) -> Carry:
    """The labels in force after a row printing ``labels``: a new 一级 clears
    a 二级 that is not its child; a 二级 brings its own parent."""
    level1, level2, from1, from2 = carry
    if labels[0] is not None:
        level1, from1 = labels[0], labels[2]
        if labels[1] is None and (level2 is None or PARENT.get(level2) != level1):
            level2, from2 = None, None
    if labels[1] is not None:
        level2, from2 = labels[1], labels[3]
        if labels[0] is None and PARENT.get(level2) != level1:
            level1, from1 = PARENT[level2], None
    return level1, level2, from1, from2


def _grid_rows(items: list[_Item], header: Header, covered: dict[tuple[int, int], Located]) -> list[_Row]:
    """One row per grid line; a merged label covers exactly its extent."""
    rows: list[_Row] = []
    carry: Carry = (None, None, None, None)
    for item in items:
        candidates = [
            *item.placed.get("level1", []),
            *item.placed.get("level2", []),
            *((item.line, c) for c in item.stray),
        ]
        for key in ("level1", "level2"):
            column = header.column(key)
            if column is not None and not item.placed.get(key) and (item.line.number, column.first) in covered:
                candidates.append(covered[(item.line.number, column.first)])
        carry = _apply_labels(carry, _labels_of(candidates))
        values = _values(item)
        if values:
            rows.append(_Row(item.line, *carry, cells=values))
    return rows


def _values(item: _Item) -> Placed:
    values = {
        k: [(ln, c) for ln, c in v if k != "name" or not is_vertical_header(c.text)] for k, v in item.values.items()
    }
    return {k: v for k, v in values.items() if v}


def _labels_of(candidates: list[Located], level2_columns: frozenset[int] = frozenset()) -> Carry:
    """The first 一级 and the first 二级 label among the candidates (in order
    of precedence); a 二级 that is not a child of the 一级 chosen is passed
    over. A 一级 word printed in the 二级 column (满意度指标 | 满意度指标) is
    its only child there."""
    level1: str | None = None
    level2: str | None = None
    from1: Located | None = None
    from2: Located | None = None
    for located in candidates:
        l1, l2, _ = normalise_level(located[1].text)
        if l1 is not None and located[1].column in level2_columns and len(HIERARCHY[l1]) == 1 and level1:
            only_child = HIERARCHY[l1][0]
            l1, l2 = None, only_child  # 满意度指标 printed as the 二级 label
        if l1 and level1 is None:
            level1, from1 = l1, located
        if l2 and level2 is None and (level1 is None or PARENT[l2] == level1):
            level2, from2 = l2, located
    return level1, level2, from1, from2


def _text_rows(items: list[_Item]) -> list[_Row]:
    """Rows of a text dump, PDF or scan, where a row may wrap over several
    printed lines. A line that prints the row's figures (分值/得分), or on an
    unscored form its name and target, anchors a row; the lines without them
    continue the row above, and their pieces of a wrapped 一级/二级 label
    (可持续影 / 响指标) are read together. A piece printed alone just before a
    page break starts the row below only when the converter repeated the seam
    character (…设施基 + 基础的…); otherwise it ends the row above."""
    scored = any(item.has_number() for item in items)
    groups: list[list[_Item]] = []
    waiting: list[_Item] = []  # lines before any row, or a label line for the row below
    for index, item in enumerate(items):
        values = _values(item)
        anchor = item.has_number() or _looks_like_row(values, scored)
        if anchor:
            if waiting and groups and not _seam_tail(waiting, item):
                # a tail before the break without a repeated seam: the row above wrapped
                groups[-1].extend(w for w in waiting if _values(w) and not _is_label_line(w))
                waiting = [w for w in waiting if not _values(w) or _is_label_line(w)]
            groups.append([*waiting, item])
            waiting = []
            continue
        before_break = index + 1 < len(items) and items[index + 1].after_break
        if not values or _is_label_line(item) or not groups or (before_break and set(values) == {"name"}):
            waiting.append(item)  # labels for the row below, or a tail whose owner the seam decides
        else:
            groups[-1].append(item)
    if waiting and groups:
        groups[-1].extend(waiting)
    rows: list[_Row] = []
    carry: Carry = (None, None, None, None)
    for group in groups:
        carry = _apply_labels(carry, _group_labels(group))
        cells: Placed = {}
        for item in group:
            for key, located in _values(item).items():
                cells.setdefault(key, []).extend(located)
        row = _Row(group[0].line, *carry, cells=cells)
        row.breaks = {item.line.number for item in group if item.after_break}
        rows.append(row)
    return rows


_FIGURE = re.compile(r"\d|[≥≤=<>≧≦═＝]")


def _looks_like_row(values: Placed, scored: bool) -> bool:
    """A line without figures that still starts a row: on an unscored form a
    name with its target or actual; on a scored one a 其中… sub-row, or a name
    whose target or actual is a figure (a wrapped piece of text rarely is)."""
    if "name" not in values or not {"target", "actual"} & set(values):
        return False
    if not scored:
        return True
    name = values["name"][0][1].text.strip()
    texts = [c.text for key in ("target", "actual") for _, c in values.get(key, [])]
    return name.startswith("其中") or any(_FIGURE.search(t) for t in texts)


def _is_label_line(item: _Item) -> bool:
    """A line whose only words are hierarchy labels (and no figures)."""
    return (
        not item.has_number()
        and all(normalise_level(c.text)[0] or normalise_level(c.text)[1] for _, c in _values(item).get("name", []))
        and set(_values(item)) <= {"name"}
        and bool(_values(item))
    )


def _seam_tail(waiting: list[_Item], anchor: _Item) -> bool:
    """Whether a name piece printed before a page break starts ``anchor``'s
    row: the converter repeats the character where it cut (…基 / 基础…)."""
    tail = [c for w in waiting for _, c in _values(w).get("name", [])]
    head = [c for _, c in _values(anchor).get("name", [])]
    if not tail or not head:
        return False
    return merge_overlap(tail[-1].text.strip(), head[0].text.strip()) != tail[-1].text.strip() + head[0].text.strip()


def _group_labels(group: list[_Item]) -> Carry:
    """The labels a row prints, its wrapped pieces joined per column; the
    line that anchors the row takes precedence over label lines above it."""
    anchor = next((i for i in group if i.has_number()), group[-1])
    ordered = [anchor, *(i for i in group if i is not anchor)]
    candidates: list[Located] = []
    level2_columns: set[int] = set()
    for key in ("level1", "level2"):
        cells = [lc for item in group for lc in item.placed.get(key, [])]
        if key == "level2":
            level2_columns |= {c.column for _, c in cells}
        if len(cells) > 1:
            text = "".join(c.text.strip() for _, c in cells)
            joined = Cell(column=cells[0][1].column, text=text, address=cells[0][1].address)
            candidates.append((cells[0][0], joined))
    for item in ordered:
        candidates.extend(item.placed.get("level1", []))
        candidates.extend(item.placed.get("level2", []))
        candidates.extend((item.line, c) for c in item.stray)
    return _labels_of(candidates, frozenset(level2_columns))


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


#: on a scan, the sign a 指标性质 cell holds read as a look-alike (》 for ≥)
_SIGN_SLIPS = {"》": "≥", "≫": "≥", "《": "≤", "≪": "≤"}


def _target_text(row: _Row, cells: list[Located]) -> str:
    """The target as printed; where 指标性质 is its own column, a scan's
    look-alike of its sign is read as the sign (the raw text stays in
    provenance)."""
    natures = {id(c) for _, c in row.cells.get("target_nature", [])}
    pieces = []
    for _, cell in cells:
        text = cell.text.strip()
        if OCR_TOLERANT.get() and id(cell) in natures:
            text = _SIGN_SLIPS.get(text, text)
        pieces.append(text)
    return "".join(pieces)


def _name(row: _Row) -> tuple[list[Located], str]:
    """The name's pieces joined; across a page break the converter's repeated
    seam character is dropped (…情况 + 况)."""
    cells = row.cells.get("name", [])
    text = ""
    for line, cell in cells:
        piece = cell.text.strip()
        text = merge_overlap(text, piece) if line.number in row.breaks else text + piece
    return cells, text


def _to_indicators(rows: list[_Row], reading: Reading) -> list[Indicator]:
    indicators: list[Indicator] = []
    for n, row in enumerate(rows):
        path = f"indicators.{n}"
        target_cells = [lc for part in _TARGET_PARTS for lc in row.cells.get(part, [])]
        target_cells.sort(key=lambda lc: (lc[0].number, lc[1].column))
        texts = {
            "name": reading.text(f"{path}.name", *_name(row)),
            "target": reading.text(f"{path}.target", target_cells, _target_text(row, target_cells)),
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
        note_row_sources(reading, path, row.first.number, row.level1_from, row.level2_from, texts["name"])
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
