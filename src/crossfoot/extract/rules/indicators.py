"""Indicator table, step 2: from classified lines to indicator rows.

1. Fragments join the main row they belong to: a piece standing alone after a
   page break ends the row above; one standing alone before a break starts
   the row below. The converter repeats a character at such a split
   ("…情况" + "况"), so a join across a break drops the overlap.
2. Labels are carried down. A 二级指标 label printed below the first rows of
   its group (merged cells centred over a page break) is carried up to the
   rows of the same 一级指标 that still lack one.
3. Rows left without a level are placed with the fixed hierarchy, with how
   sibling forms file the same indicator, and, where rows sit between two
   一级指标 groups at a page break, with the weights: these forms split
   产出 / 效益 / 满意度 in round figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from crossfoot.extract.rules.cells import Located, Reading, label_of, note_row_sources
from crossfoot.extract.rules.table import Item
from crossfoot.extract.values import parse_decimal
from crossfoot.model import HIERARCHY, LEVEL1_LABELS, PARENT, Indicator, Severity
from crossfoot.segment import compact

__all__ = ["Row", "SiblingHints", "build_rows", "merge_overlap", "to_indicators"]

TEXT_ORDER = ("name", "target", "actual", "deviation")
#: a piece of text and whether a page break separates it from the piece before
Piece = tuple[Located, bool]


@dataclass
class SiblingHints:
    """What the other forms of the same document say."""

    level2_by_name: dict[str, str] = field(default_factory=dict)
    splits: Counter[tuple[Decimal, ...]] = field(default_factory=Counter)


@dataclass(slots=True)
class Row:
    item: Item
    pieces: dict[str, list[Piece]]
    level1: str | None = None
    level2: str | None = None
    level1_from: Located | None = None
    level2_from: Located | None = None
    own_label: bool = False
    inferred: str | None = None  # how a level was decided when no label said so

    @property
    def name_key(self) -> str:
        return compact("".join(cell.text for (_, cell), _ in self.pieces.get("name", [])))

    def weight(self) -> Decimal | None:
        cells = self.pieces.get("weight")
        if not cells:
            return None
        try:
            return parse_decimal(cells[0][0][1].text)
        except ValueError:
            return None


def merge_overlap(head: str, tail: str) -> str:
    """Join two halves split at a page break, dropping a repeated seam."""
    for size in range(min(len(head), len(tail), 4), 0, -1):
        if head.endswith(tail[:size]):
            return head + tail[size:]
    return head + tail


def _fragment_field(row: Row, cell_column: int, across_break: bool) -> str:
    weight = row.pieces.get("weight")
    if weight and cell_column > weight[0][0][1].column:
        return "deviation"
    if across_break or "name" not in row.pieces:
        return "name"
    columns = {f: row.pieces[f][0][0][1].column for f in ("name", "target", "actual") if f in row.pieces}
    return min(columns, key=lambda f: (abs(columns[f] - cell_column), TEXT_ORDER.index(f)))


def _attach_fragments(items: list[Item], rows: list[Row], reading: Reading) -> None:
    by_item = {id(r.item): r for r in rows}
    for index, item in enumerate(items):
        if item.is_main or not item.data:
            continue
        before = next((by_item[id(i)] for i in reversed(items[:index]) if i.is_main), None)
        after = next((by_item[id(i)] for i in items[index + 1 :] if i.is_main), None)
        if item.after_break and not item.before_break and before is not None:
            target, append = before, True
        elif item.before_break and not item.after_break and after is not None:
            target, append = after, False
        elif before is not None:
            target, append = before, True
        elif after is not None:
            target, append = after, False
        else:
            reading.note(
                "stray_text",
                f"line {item.line.number}: text outside any indicator row was dropped",
                ["indicators"],
            )
            continue
        across = item.after_break if append else item.before_break
        for cell in item.data:
            name = _fragment_field(target, cell.column, across)
            pieces = target.pieces.setdefault(name, [])
            located = (item.line, cell)
            if append:
                pieces.append((located, across))
            else:
                if pieces:
                    pieces[0] = (pieces[0][0], across)
                pieces.insert(0, (located, False))


def _assign_levels(items: list[Item], rows: list[Row]) -> None:
    by_item = {id(r.item): r for r in rows}
    level1: Located | None = None
    level2: Located | None = None
    pending: list[Row] = []
    for item in items:
        for located in sorted(item.level1 + item.level2, key=lambda lc: lc[1].column):
            label = label_of(located[1].text) or compact(located[1].text)
            if label in LEVEL1_LABELS:
                if level1 is None or compact(level1[1].text) != label:
                    level1, level2, pending = located, None, []
                continue
            parent = PARENT[label]
            if level1 is None or compact(level1[1].text) != parent:
                level1 = located  # the hierarchy names the parent
                pending = [r for r in pending if r.level1 == parent]
            # A merged cell split by a page break prints its label below the
            # rows it covers; a label on an ordinary row mid-page does not
            # speak for the rows above it (siblings decide those).
            if not item.is_main or item.after_break:
                for row in pending:
                    row.level2, row.level2_from, row.inferred = label, located, "label printed below"
            pending = []
            level2 = located
        current = by_item.get(id(item))
        if current is None:
            continue
        row = current
        row.own_label = item.has_labels
        if level1 is not None:
            row.level1_from = level1
            text = label_of(level1[1].text) or compact(level1[1].text)
            row.level1 = text if text in LEVEL1_LABELS else PARENT[text]
        if level2 is not None:
            row.level2, row.level2_from = label_of(level2[1].text) or compact(level2[1].text), level2
        else:
            pending.append(row)


def _resolve_unlabelled(rows: list[Row], hints: SiblingHints) -> None:
    for n, row in enumerate(rows):
        if row.level2 is not None:
            continue
        sibling = hints.level2_by_name.get(row.name_key)
        if sibling is not None and (row.level1 is None or PARENT[sibling] == row.level1):
            row.level2, row.inferred = sibling, "as a sibling form files it"
        elif row.level1 is not None and len(HIERARCHY[row.level1]) == 1:
            row.level2, row.inferred = HIERARCHY[row.level1][0], "only child of its 一级指标"
        else:
            later = next(
                (
                    r.level2
                    for r in rows[n + 1 :]
                    if r.level2 and (row.level1 is None or PARENT[r.level2] == row.level1)
                ),
                None,
            )
            if later is not None:
                row.level2, row.inferred = later, "next label in its group"
        if row.level2 is not None and row.level1 is None:
            row.level1 = PARENT[row.level2]


def level_sums(rows: list[Row]) -> tuple[Decimal, ...] | None:
    """Weight per 一级指标 in 产出 / 效益 / 满意度 order; None if a weight is unread."""
    sums = dict.fromkeys(LEVEL1_LABELS, Decimal(0))
    for row in rows:
        weight = row.weight()
        if weight is None or row.level1 is None:
            return None
        sums[row.level1] += weight
    return tuple(sums.values())


def _roundness(sums: tuple[Decimal, ...], hints: SiblingHints) -> tuple[int, int]:
    round_tens = sum(1 for s in sums if s % 10 == 0)
    common = hints.splits.most_common(1)
    matches_siblings = int(bool(common) and common[0][0] == sums)
    return matches_siblings, round_tens


def _confirmed_by_siblings(sums: tuple[Decimal, ...] | None, hints: SiblingHints) -> bool:
    """Weights alone never move a carried-down row: the new split must be the
    one the sibling forms of the same document use."""
    common = hints.splits.most_common(1)
    return sums is not None and bool(common) and common[0][0] == sums


def _resolve_group_boundaries(rows: list[Row], hints: SiblingHints) -> None:
    """Rows carried down to a page break, just before a new 一级指标 group:
    move the tail of the run to the new group when that makes the weights
    split in round figures (or as the siblings split them)."""
    for n in range(1, len(rows)):
        head = rows[n]
        if not head.item.after_break or head.level1 is None or head.level1 == rows[n - 1].level1:
            continue
        if head.level2 is None:
            continue
        run_start = n
        while run_start > 0 and not rows[run_start - 1].own_label and rows[run_start - 1].level1 == rows[n - 1].level1:
            run_start -= 1
        run = rows[run_start:n]
        if not run or level_sums(rows) is None:
            continue
        original = [(r.level1, r.level2, r.level1_from, r.level2_from, r.inferred) for r in run]
        best_moved, best_score = 0, _roundness(level_sums(rows) or (), hints)
        for moved in range(1, len(run) + 1):
            for r in run[len(run) - moved :]:
                r.level1, r.level2 = head.level1, head.level2
            score = _roundness(level_sums(rows) or (), hints)
            if score > best_score:
                best_moved, best_score = moved, score
            for r, saved in zip(run, original, strict=True):
                r.level1, r.level2, r.level1_from, r.level2_from, r.inferred = saved
        if best_moved:
            for r in run[len(run) - best_moved :]:
                r.level1, r.level2 = head.level1, head.level2
            confirmed = _confirmed_by_siblings(level_sums(rows), hints)
            for r, saved in zip(run, original, strict=True):
                r.level1, r.level2, r.level1_from, r.level2_from, r.inferred = saved
            if not confirmed:
                best_moved = 0
        for r in run[len(run) - best_moved :] if best_moved else []:
            r.level1, r.level2 = head.level1, head.level2
            r.level1_from, r.level2_from = head.level1_from, head.level2_from
            r.inferred = "group split by weights at a page break, as the sibling forms split them"


def build_rows(items: list[Item], reading: Reading, hints: SiblingHints) -> list[Row]:
    """Main rows with fragments joined and levels placed."""
    rows = [Row(item=i, pieces={k: [(lc, False) for lc in v] for k, v in i.fields.items()}) for i in items if i.is_main]
    for item in items:
        for line, cell in item.unknown_labels:
            reading.note(
                "indicator_label_unknown",
                f"line {line.number}: {cell.text!r} looks like an 一级/二级指标 label outside the fixed "
                "hierarchy; the row was placed by the labels around it",
                ["indicators"],
                Severity.error,
            )
    _attach_fragments(items, rows, reading)
    _assign_levels(items, rows)
    _resolve_unlabelled(rows, hints)
    _resolve_group_boundaries(rows, hints)
    return rows


def _joined(pieces: list[Piece]) -> str:
    text = ""
    for (_, cell), across_break in pieces:
        text = merge_overlap(text, cell.text.strip()) if across_break else text + cell.text.strip()
    return text


def to_indicators(rows: list[Row], reading: Reading) -> list[Indicator]:
    """Indicator records with provenance for every cell."""
    indicators: list[Indicator] = []
    for n, row in enumerate(rows):
        path = f"indicators.{n}"
        texts: dict[str, str | None] = {}
        for name in TEXT_ORDER:
            pieces = row.pieces.get(name, [])
            texts[name] = reading.text(f"{path}.{name}", [p for p, _ in pieces], _joined(pieces))
        weight_cells, score_cells = row.pieces.get("weight", []), row.pieces.get("score", [])
        weight = reading.number(f"{path}.weight", weight_cells[0][0] if weight_cells else None)
        score = reading.number(f"{path}.score", score_cells[0][0] if score_cells else None)
        if row.level2 is None:
            reading.note(
                "indicator_level_unread",
                f"line {row.item.line.number}: no 二级指标 label could be placed for this row",
                [f"{path}.level2"],
                Severity.error,
            )
            level1 = row.level1 or LEVEL1_LABELS[0]
            row.level1, row.level2 = level1, HIERARCHY[level1][0]
        elif row.inferred:
            reading.note(
                "indicator_level_inferred",
                f"line {row.item.line.number}: 二级指标 {row.level2} placed by rule ({row.inferred})",
                [f"{path}.level2"],
                Severity.info,
            )
        note_row_sources(reading, path, row.item.line.number, row.level1_from, row.level2_from, texts["name"])
        indicators.append(
            Indicator(
                level1=row.level1,
                level2=row.level2,
                name=texts["name"] or "",
                target=texts["target"],
                actual=texts["actual"],
                deviation=texts["deviation"],
                weight=weight,
                score=score,
            )
        )
    return indicators
