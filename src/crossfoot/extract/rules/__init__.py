"""The rules backend: deterministic, offline, with provenance for every value."""

from __future__ import annotations

from decimal import Decimal

from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.rules.cells import Reading
from crossfoot.extract.rules.funding import read_funding
from crossfoot.extract.rules.header import read_goals, read_header, read_totals
from crossfoot.extract.rules.indicators import (
    Row,
    SiblingHints,
    build_rows,
    level_sums,
    to_indicators,
)
from crossfoot.extract.rules.table import TableLayout, classify_lines, table_bounds
from crossfoot.model import Record, Severity
from crossfoot.segment import FormSlice

__all__ = ["RulesExtractor"]


def _read_rows(form: FormSlice, reading: Reading, hints: SiblingHints) -> tuple[list[Row], TableLayout, bool]:
    header_at, total_at = table_bounds(form.lines)
    if header_at is None:
        return [], TableLayout(), False
    layout = TableLayout.from_header(form.lines[header_at])
    body = form.lines[header_at + 1 : total_at]
    items = classify_lines(body, form.document, layout)
    # the header line itself may carry a vertical 一级指标 (产 出 指 标)
    header_items = classify_lines([form.lines[header_at]], form.document, layout)
    for item in header_items:
        item.data.clear()
        item.fields.clear()
    return build_rows(header_items + items, reading, hints), layout, True


class RulesExtractor:
    """Reads a form by its printed structure, never by guessing values."""

    name = "rules"

    def __init__(self) -> None:
        self._hints: dict[tuple[str, int], tuple[dict[str, str], tuple[Decimal, ...] | None]] = {}

    def _sibling_facts(self, form: FormSlice) -> tuple[dict[str, str], tuple[Decimal, ...] | None]:
        key = (form.document.sha256, form.index)
        if key not in self._hints:
            rows, _, _ = _read_rows(form, Reading(), SiblingHints())
            labelled = {r.name_key: r.level2 for r in rows if r.level2 and not r.inferred}
            self._hints[key] = (labelled, level_sums(rows))
        return self._hints[key]

    def hints_for(self, form: FormSlice, siblings: list[FormSlice]) -> SiblingHints:
        hints = SiblingHints()
        for sibling in siblings:
            if sibling.index == form.index:
                continue
            labelled, split = self._sibling_facts(sibling)
            for name, level2 in labelled.items():
                hints.level2_by_name.setdefault(name, level2)
            if split is not None:
                hints.splits[split] += 1
        return hints

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        reading = Reading()
        record = Record(project_name="")
        read_header(form.lines, reading, record)
        record.funding = read_funding(form.lines, reading)
        read_goals(form.lines, reading, record)
        rows, layout, has_table = _read_rows(form, reading, self.hints_for(form, siblings))
        if not has_table:
            reading.note(
                "indicator_table_unread",
                "no 绩效指标 table header (一级指标/三级指标)",
                ["indicators"],
                Severity.error,
            )
        record.indicators = to_indicators(rows, reading)
        if not read_totals(form.lines, reading, record, layout.score):
            reading.note(
                "total_row_unread",
                "no 总分 row: the form may be cut short",
                ["total_weight", "total_score"],
                Severity.error,
            )
        return ExtractionResult(record=record, provenance=reading.provenance, findings=reading.findings)
