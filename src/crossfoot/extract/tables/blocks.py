"""The title block, the goals and the funding block, found by their words."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from crossfoot.extract.rules.cells import Located, Reading, is_vertical_header, span
from crossfoot.extract.tables.columns import SINKS, Header, find_header, note_unknown_columns, place_cells
from crossfoot.extract.values import is_number
from crossfoot.ingest.document import Cell, Line
from crossfoot.lexicon import Lexicon, label_key, score_note
from crossfoot.model import FUNDING_COLUMNS, Funding, FundingRow, Record, Severity

__all__ = ["read_funding_block", "read_goal_block", "read_title_block"]

#: "(2023年度)", "2023年度…自评表", "2023年…项目自评表"; never a date (2023年3月20日)
_YEAR = re.compile(r"(20\d{2})\s*年度|[(（]\s*(20\d{2})\s*年?\s*[)）]|(20\d{2})\s*年(?!\s*\d{1,2}\s*月)(?=.*自评)")
#: where an inline value ends: the next "label:" in the same cell
_NEXT_LABEL = re.compile(r"\s{2,}|\s*[\u4e00-\u9fff]{2,8}\s*:")
_NUMBERED_GOAL = re.compile(r"^(目标|完成情况)(\d+)[:：]?(.*)$", re.S)
_SECTION = re.compile(r"^\d{1,2}[.、]\D")
_BARE_UNITS = ("万元", "元", "单位:万元", "单位:元")
_UNIT_WORDS = ("资金", "预算", "金额", "单位")


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _colon_value(cell: Cell, words: list[str]) -> str | None:
    """``项目名称：某某项目`` in one cell: the part after the label."""
    folded = unicodedata.normalize("NFKC", cell.text).strip()
    for word in sorted(words, key=len, reverse=True):
        match = re.match(rf"^\s*{re.escape(word)}\s*:\s*(.+)$", folded, re.S)
        if match and match.group(1).strip():
            return _NEXT_LABEL.split(match.group(1).strip(), maxsplit=1)[0].strip() or None
    return None


def read_title_block(lines: list[Line], lexicon: Lexicon, reading: Reading, record: Record, stop: int) -> None:
    """year, project_name, department, implementing_unit, amount_unit, grade:
    a label cell and the next filled cell right of it (or ``label：value``)."""
    # the year printed nearest above the form's body: its own title or
    # "(2023年度)", not a running header of the page before it
    years = [(line, m) for line in lines[: max(stop, 1)] for m in [_YEAR.search(_fold(line.text))] if m]
    if years:
        line, match = years[-1]
        year = next(g for g in match.groups() if g)
        record.year = int(year)
        reading.provenance["year"] = [span((line, _cell_with(line, year)))]
    else:
        reading.note("year_unread", "no report year (20xx 年度) in the title block", ["year"], Severity.info)

    # field -> the rank of the label it was read under: a stronger label read
    # later (项目实施单位) replaces a weaker one read first (单位名称)
    found: dict[str, int] = {}
    for line in lines:
        filled = line.filled
        for position, cell in enumerate(filled):
            name = lexicon.match("header", cell.text)
            inline = None
            if name is None:
                for candidate, words in lexicon.header.items():
                    inline = _colon_value(cell, words)
                    if inline is not None:
                        name = candidate
                        break
            if name is None:
                continue
            rank = _rank(lexicon.header[name], cell.text)
            if found.get(name, 99) <= rank:
                continue
            if inline is not None:
                found[name] = rank
                setattr(record, name, reading.text(name, [(line, cell)], inline))
                continue
            value = next((c for c in filled[position + 1 :]), None)
            if value is None or lexicon.match("header", value.text) is not None:
                continue
            found[name] = rank
            setattr(record, name, reading.text(name, [(line, value)]))
    if not record.project_name:
        reading.note("project_name_unread", "no 项目名称 was read", ["project_name"], Severity.error)
        record.project_name = ""
    _read_amount_unit(lines[: stop + 2], reading, record)


def _rank(words: list[str], text: str) -> int:
    key = label_key(text.split(":")[0].split("：")[0])
    return next((i for i, w in enumerate(words) if label_key(w) == key), len(words))


def _cell_with(line: Line, raw: str) -> Cell:
    return next((c for c in line.filled if raw in c.text), line.filled[0] if line.filled else Cell(column=0, text=raw))


def _read_amount_unit(lines: list[Line], reading: Reading, record: Record) -> None:
    for line in lines:
        for cell in line.filled:
            folded = _fold(cell.text)
            bare = folded.strip("()（）") in ("万元", "元", "单位:万元", "单位:元") or bool(
                re.search(r"\((万元|元)\)", folded)
            )
            if not bare and (not any(w in folded for w in _UNIT_WORDS) or len(folded) > 30):
                continue
            unit = "万元" if "万元" in folded else "元" if bare or re.search(r"[(:]元\)?|单位元|\(元", folded) else None
            if unit:
                record.amount_unit = unit  # type: ignore[assignment]
                reading.provenance["amount_unit"] = [span((line, cell))]
                return


def _is_funding_header(line: Line, lexicon: Lexicon) -> bool:
    return sum(lexicon.match("funding_columns", c.text) is not None for c in line.filled) >= 2


def read_funding_block(
    lines: list[Line], lexicon: Lexicon, reading: Reading, grid: bool, stop: int
) -> tuple[Funding, int | None]:
    """The funding rows under the funding header; a row never printed stays
    null. Returns the funding and the header's index (None: no block)."""
    funding = Funding()
    found = find_header(
        lines[:stop],
        lexicon,
        "funding_columns",
        required=2,
        must=frozenset({"annual_budget", "executed", "initial_budget"}),
    )
    if found is None:
        return funding, None
    at, header = found
    note_unknown_columns(header, reading, "funding")
    block_weight = _block_weight(lines, at, header)
    label_columns = _label_columns(header)
    for line in lines[at + len(header.lines) : stop]:
        if line.is_blank:
            continue
        if _is_funding_header(line, lexicon):
            break
        label = _row_label(line, lexicon, _next_line(lines, line, stop))
        placed, _ = place_cells(line, header, grid, skip={label[1].column} if label else None)
        for located in placed.get("unknown", []):
            reading.provenance.setdefault("unmapped.funding", []).append(span(located))
        numbers = [c for key, cells in placed.items() if key not in SINKS for _, c in cells if is_number(c.text)]
        if label is None:
            if not numbers:
                if funding.total is not None or _starts_other_block(line, lexicon):
                    break
                continue
            if funding.total is not None or any(
                c.column in label_columns for c in line.filled if not is_number(c.text)
            ):
                break
            row = "total"  # a block with one unlabelled row of figures (湖北: 预算执行情况)
        else:
            row = label[0]
        earlier = getattr(funding, row)
        if earlier is not None and (any(getattr(earlier, f) is not None for f in FUNDING_COLUMNS) or not numbers):
            # several rows fill one field (财政专户管理资金, 单位资金, 其他资金 -> other):
            # the first that prints figures is the record's, the rest are noted
            reading.note(
                "funding_row_extra",
                f"line {line.number}: a second {row} row ({line.filled[0].text!r}); the first is in the record",
                [f"funding.{row}"],
                Severity.info,
            )
            continue
        values = {
            name: reading.number(f"funding.{row}.{name}", placed[name][0] if placed.get(name) else None)
            for name in FUNDING_COLUMNS
        }
        setattr(funding, row, FundingRow(**values))
    if funding.total is not None and funding.total.weight is None and block_weight is not None:
        weight, located = block_weight
        funding.total.weight = weight
        reading.provenance["funding.total.weight"] = [span(located)]
    return funding, at


def _next_line(lines: list[Line], line: Line, stop: int) -> Line | None:
    index = line.number - lines[0].number + 1
    return lines[index] if 0 < index < min(stop, len(lines)) else None


def _label_columns(header: Header) -> set[int]:
    first = min((c.first for c in header.columns), default=0)
    return set(range(first))


def _block_weight(lines: list[Line], at: int, header: Header) -> tuple[Decimal, Located] | None:
    """``预算执行情况(20分)``: the funding weight printed on the block label."""
    first = min((c.first for c in header.columns), default=0)
    for line in lines[max(0, at - 1) : at + 4]:
        for cell in line.filled:
            note = score_note(cell.text)
            if note is None:
                continue
            named = any(w in cell.text for w in ("预算", "资金", "执行"))
            alone = not label_key(cell.text) and cell.column < first  # a wrapped "(20分)" under the label
            if named or alone:
                return Decimal(note), (line, cell)
    return None


def _row_label(line: Line, lexicon: Lexicon, below: Line | None = None) -> tuple[str, Cell] | None:
    """The funding row a line's label names; a label wrapped onto the line
    below (年度财政 / 资金总额) is read whole."""
    for cell in line.filled:
        if is_number(cell.text):
            return None
        name = _funding_row(cell.text, lexicon)
        if name is None and below is not None and not any(is_number(c.text) for c in below.filled):
            rest = next((c for c in below.filled if abs(c.column - cell.column) <= 1), None)
            name = _funding_row(cell.text + rest.text, lexicon) if rest is not None else None
        if name is not None:
            return name, cell
    return None


def _funding_row(text: str, lexicon: Lexicon) -> str | None:
    key = label_key(text)
    for prefix in ("", "其中:", "其中"):
        if key.startswith(prefix):
            name = lexicon.match("funding_rows", key[len(prefix) :])
            if name is not None:
                return name
    return None


def _starts_other_block(line: Line, lexicon: Lexicon) -> bool:
    return any(lexicon.match("goals", c.text) or lexicon.match("indicator_columns", c.text) for c in line.filled)


def read_goal_block(lines: list[Line], lexicon: Lexicon, reading: Reading, record: Record, stop: int) -> None:
    """goal_expected / goal_actual: the cells under the goal header words; or,
    where the goals are printed as numbered rows with bare labels (目标1 |
    text … 完成情况1 | text), those texts joined in order. A goal cell that
    prints its own number (目标1：…) keeps it, as every printed character."""
    numbered: dict[str, list[tuple[int, Located, str]]] = {"目标": [], "完成情况": []}
    header_at: int | None = None
    columns: dict[str, Cell] = {}
    bare_labels = False
    for index, line in enumerate(lines[:stop]):
        for cell in line.filled:
            match = _NUMBERED_GOAL.match(_fold(cell.text))
            if match:
                numbered[match.group(1)].append((int(match.group(2)), (line, cell), match.group(3)))
                bare_labels = bare_labels or not match.group(3).strip()
                continue
            name = lexicon.match("goals", cell.text)
            if name in ("expected", "actual") and header_at in (None, index):
                columns[name] = cell  # the last on the line: 年度总体目标 | 预期目标 -> 预期目标
                header_at = index
    if bare_labels or (header_at is None and (numbered["目标"] or numbered["完成情况"])):
        _numbered_goals(numbered, reading, record)
        return
    if header_at is None:
        reading.note("goals_unread", "no goal header (预期目标 / 实际完成情况)", ["goal_expected", "goal_actual"])
        return
    head = lines[header_at]
    leftmost = min(c.column for c in columns.values())
    expected: list[Located] = []
    actual: list[Located] = []
    for line in lines[header_at:stop]:
        if line is not head and (_is_funding_header(line, lexicon) or _starts_table(line, lexicon)):
            break
        if line is not head and any(c.column < leftmost and not is_vertical_header(c.text) for c in line.filled):
            break  # a new row label left of the goal columns
        first = _fold(line.filled[0].text) if line.filled else ""
        if line is not head and _SECTION.match(first) and len(first) <= 20:
            break  # the next numbered part of the block (2.项目实施内容及过程概述)
        for cell in line.filled:
            if cell.column < leftmost or lexicon.match("goals", cell.text):
                continue
            if line is not head and lexicon.match("header", cell.text):
                continue
            side = _nearest_side(cell, columns)
            (actual if side == "actual" else expected).append((line, cell))
    record.goal_expected = reading.text("goal_expected", expected, "".join(c.text for _, c in expected))
    record.goal_actual = reading.text("goal_actual", actual, "".join(c.text for _, c in actual))


def _starts_table(line: Line, lexicon: Lexicon) -> bool:
    names = {lexicon.match("indicator_columns", c.text) for c in line.filled}
    return len(names & {"level1", "level2", "name", "target", "actual"}) >= 2


def _nearest_side(cell: Cell, columns: dict[str, Cell]) -> str:
    if "actual" not in columns:
        return "expected"
    if "expected" not in columns:
        return "actual"
    e, a = columns["expected"], columns["actual"]
    if e.column <= cell.column < a.column:
        return "expected"
    if cell.column >= a.column:
        return "actual"
    return "expected"


def _numbered_goals(numbered: dict[str, list[tuple[int, Located, str]]], reading: Reading, record: Record) -> None:
    for key, field in (("目标", "goal_expected"), ("完成情况", "goal_actual")):
        parts: list[Located] = []
        texts: list[str] = []
        for _, (line, cell), inline in sorted(numbered[key], key=lambda t: t[0]):
            if inline.strip():
                parts.append((line, cell))
                texts.append(cell.text)
                continue
            after = [c for c in line.filled if c.column > cell.column]
            if after and not _NUMBERED_GOAL.match(_fold(after[0].text)):
                parts.append((line, after[0]))
                texts.append(after[0].text)
        setattr(record, field, reading.text(field, parts, "".join(texts)) if parts else None)
