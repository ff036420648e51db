"""Align an LLM's record back to the printed cells: provenance survives the LLM.

The model is not asked where a value came from; crossfoot finds it. Each
group of values has an anchor line (the 年度资金总额 row, an indicator's name,
the 总分 row); its values are looked for on that line first, left to right
in column order, then on the nearest lines, then anywhere in the form. A
number matches a cell that parses to the same number; text matches a cell
(or a run of cells wrapped over the next lines) with the same compared form
(``normalize_for_compare``). A value printed nowhere in the form gets no
span and a ``llm_value_unaligned`` warning: the model may have made it up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from crossfoot.extract.rules.cells import Located, span
from crossfoot.extract.values import normalize_for_compare, parse_decimal
from crossfoot.model import FUNDING_COLUMNS, Finding, Provenance, Record, Severity
from crossfoot.segment import FormSlice

__all__ = ["UNALIGNED", "align_record"]

UNALIGNED = "llm_value_unaligned"

#: funding row -> the label its line prints (compared form, substring).
_FUNDING_LABELS = {
    "total": "年度资金总额",
    "current_year": "当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}
_WRAP_LINES = 4  # how far below its first piece a wrapped value may continue
Value = Decimal | str | None


@dataclass
class _Slot:
    """One printed cell, with its compared text and number."""

    order: int
    located: Located
    key: str
    number: Decimal | None

    @property
    def line(self) -> int:
        return self.located[0].number

    @property
    def column(self) -> int:
        return self.located[1].column


def _number(text: str) -> Decimal | None:
    try:
        return parse_decimal(text)
    except ValueError:
        return None


@dataclass
class _Finder:
    slots: list[_Slot]
    by_line: dict[int, list[_Slot]] = field(default_factory=dict)

    @classmethod
    def of(cls, form: FormSlice) -> _Finder:
        slots: list[_Slot] = []
        for line in form.lines:
            for cell in line.filled:
                key = normalize_for_compare(cell.text)
                slots.append(_Slot(len(slots), (line, cell), key, _number(cell.text)))
        finder = cls(slots)
        for slot in slots:
            finder.by_line.setdefault(slot.line, []).append(slot)
        return finder

    def labelled(self, label: str) -> _Slot | None:
        """The first cell printing ``label``."""
        return next((s for s in self.slots if label in s.key), None)

    def line_with(self, label: str) -> int | None:
        slot = self.labelled(label)
        return slot.line if slot else None

    def _nearest(self, candidates: Iterable[_Slot], anchor: int | None, column: int | None = None) -> _Slot | None:
        def rank(s: _Slot) -> tuple[int, int, int]:
            return (
                abs(s.line - anchor) if anchor else 0,
                abs(s.column - column) if column is not None else 0,
                s.order,
            )

        return min(candidates, key=rank, default=None)

    def row_piece(self, pieces: list[_Slot]) -> _Slot | None:
        """Of a name wrapped over several lines, the piece whose line carries
        the row's other cells (the first line, or the line after a page break)."""
        for piece in pieces:
            if any(s.column > piece.column for s in self.by_line[piece.line]):
                return piece
        return pieces[0] if pieces else None

    def label(self, label: str, anchor: int | None) -> _Slot | None:
        printed = [s for s in self.slots if s.key == label]
        if anchor is None or not printed:
            return None
        return min(printed, key=lambda s: (abs(s.line - anchor), s.line > anchor, -s.order))

    def _on_line(self, anchor: int | None, after: int) -> list[_Slot]:
        return [s for s in self.by_line.get(anchor, []) if s.column > after] if anchor is not None else []

    def number(self, value: Decimal, anchor: int | None, after: int = -1) -> list[_Slot]:
        """The cell printing ``value``: on the anchor line right of ``after``
        first, else the nearest such cell anywhere."""
        for slot in self._on_line(anchor, after):
            if slot.number is not None and slot.number == value:
                return [slot]
        nearest = self._nearest((s for s in self.slots if s.number is not None and s.number == value), anchor)
        return [nearest] if nearest is not None else []

    def text(self, value: str, anchor: int | None, after: int = -1, column: int | None = None) -> list[_Slot]:
        """The cell, or the run of wrapped cells, printing ``value``; ties go
        to the cell nearest the anchor line, then nearest ``column``."""
        key = normalize_for_compare(value)
        if not key:
            return []
        for slot in self._on_line(anchor, after):
            if slot.key == key:
                return [slot]
        exact = self._nearest((s for s in self.slots if s.key == key), anchor, column)
        if exact is not None:
            return [exact]
        runs = [run for s in self.slots if s.key and key.startswith(s.key) for run in [self._run(s, key)] if run]
        if runs:
            return min(runs, key=lambda run: (abs(run[0].line - anchor) if anchor else 0, run[0].order))
        # a short value inside a short cell ("2022" in "(2022 年度)"), never a
        # name found inside a paragraph of goal text
        holder = self._nearest((s for s in self.slots if key in s.key and len(s.key) <= 3 * len(key) + 8), anchor)
        return [holder] if holder is not None else []

    def _run(self, first: _Slot, key: str) -> list[_Slot] | None:
        # A wrapped value continues in later cells on the next few lines; a
        # page break may print the character at the cut twice (设施基 / 基础的).
        run, rest = [first], key[len(first.key) :]
        while rest:
            last = run[-1]
            nxt = None
            for slot in self.slots[last.order + 1 :]:
                if slot.line - last.line > _WRAP_LINES:
                    break
                piece = _continuation(last.key, slot.key, rest)
                if piece:
                    nxt = slot
                    break
            if nxt is None:
                return None
            run.append(nxt)
            rest = rest[len(piece) :]
        return run if len(run) > 1 else None


def _continuation(previous: str, key: str, rest: str) -> str:
    """The part of ``key`` that continues ``rest``, allowing for a repeated
    character or two at the cut; empty when ``key`` does not continue it."""
    for overlap in range(3):
        piece = key[overlap:]
        if piece and rest.startswith(piece) and previous.endswith(key[:overlap]):
            return piece
    return ""


class _Aligner:
    def __init__(self, record: Record, form: FormSlice) -> None:
        self.record = record
        self.finder = _Finder.of(form)
        self.provenance: Provenance = {}
        self.findings: list[Finding] = []

    def _put(self, path: str, slots: list[_Slot], printed: object) -> None:
        if slots:
            self.provenance[path] = [span(s.located) for s in slots]
        else:
            self.findings.append(
                Finding(
                    code=UNALIGNED,
                    severity=Severity.warning,
                    message=f"the LLM read {path} as {printed!s}, which the form prints nowhere",
                    fields=[path],
                    expected=str(printed),
                )
            )

    def text(self, path: str, value: str | None, anchor: int | None) -> list[_Slot]:
        if value is None:
            return []
        slots = self.finder.text(value, anchor)
        self._put(path, slots, value)
        return slots

    def under_label(self, path: str, value: str | None, *labels: str) -> None:
        """A value printed right of its label, or below it in the label's column."""
        if value is None:
            return
        label = next((s for s in map(self.finder.labelled, labels) if s is not None), None)
        if label is None:
            self._put(path, self.finder.text(value, None), value)
        else:
            self._put(path, self.finder.text(value, label.line, label.column, label.column), value)

    def row(self, prefix: str, values: list[tuple[str, Value]], anchor: int | None, after: int = -1) -> None:
        """Values printed left to right on one row (年初预算数 … 得分; 年度指标值 …
        偏差原因): each is looked for right of the one before it."""
        for name, value in values:
            if value is None:
                continue
            if isinstance(value, Decimal):
                slots = self.finder.number(value, anchor, after)
            else:
                slots = self.finder.text(value, anchor, after)
            if slots and slots[0].line == anchor:
                after = slots[-1].column
            self._put(f"{prefix}{name}", slots, value)

    def header(self) -> None:
        rec = self.record
        if rec.year is not None:
            self._put("year", self.finder.text(str(rec.year), None), rec.year)
        top = self.finder.slots[0].line if self.finder.slots else None
        self.text("project_name", rec.project_name or None, top)
        self.under_label("department", rec.department, "主管部门")
        self.under_label("implementing_unit", rec.implementing_unit, "实施单位")
        if rec.amount_unit is not None:
            self._put("amount_unit", self.finder.text(f"({rec.amount_unit})", None), rec.amount_unit)

    def funding(self) -> None:
        for row_name, label in _FUNDING_LABELS.items():
            row = getattr(self.record.funding, row_name)
            if row is None:
                continue
            values: list[tuple[str, Value]] = [(c, getattr(row, c)) for c in FUNDING_COLUMNS]
            self.row(f"funding.{row_name}.", values, self.finder.line_with(label))

    def goals(self) -> None:
        self.under_label("goal_expected", self.record.goal_expected, "预期目标", "预算目标")
        self.under_label("goal_actual", self.record.goal_actual, "实际完成情况")

    def indicators(self) -> None:
        previous: int | None = self.finder.line_with("三级指标")
        for i, ind in enumerate(self.record.indicators):
            prefix = f"indicators.{i}."
            name = self.text(prefix + "name", ind.name or None, previous)
            piece = self.finder.row_piece(name)
            anchor = piece.line if piece else previous
            for level, label in (("level1", ind.level1), ("level2", ind.level2)):
                # carried down from the nearest label, above first; a label
                # printed nowhere (inferred from the hierarchy) is no finding
                printed = self.finder.label(label, anchor)
                if printed is not None:
                    self.provenance[prefix + level] = [span(printed.located)]
            values: list[tuple[str, Value]] = [
                ("target", ind.target),
                ("actual", ind.actual),
                ("weight", ind.weight),
                ("score", ind.score),
                ("deviation", ind.deviation),
            ]
            self.row(prefix, values, anchor, piece.column if piece else -1)
            previous = anchor

    def totals(self) -> None:
        anchor = self.finder.line_with("总分")
        self.row("", [("total_weight", self.record.total_weight), ("total_score", self.record.total_score)], anchor)
        self.text("grade", self.record.grade, self.finder.line_with("评分等级") or anchor)


def align_record(record: Record, form: FormSlice) -> tuple[Provenance, list[Finding]]:
    """Provenance for every value of ``record`` found in ``form``, and a
    warning for each value the form does not print."""
    aligner = _Aligner(record, form)
    aligner.header()
    aligner.funding()
    aligner.goals()
    aligner.indicators()
    aligner.totals()
    return aligner.provenance, aligner.findings
