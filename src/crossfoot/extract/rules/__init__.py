"""The rules backend: deterministic, offline, with provenance for every value."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
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
from crossfoot.extract.rules.table import Item, TableLayout, classify_lines, table_bounds
from crossfoot.model import Record, Severity
from crossfoot.segment import FormSlice

__all__ = ["RulesExtractor"]


#: a form's indicator table, classified: (items, layout, has_table)
_Classified = tuple[list[Item], TableLayout, bool]


def _classify(form: FormSlice) -> _Classified:
    """The form's table lines classified; independent of the sibling hints,
    so the sibling pass and the form's own reading share one classification."""
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
    return header_items + items, layout, True


def _read_rows(classified: _Classified, reading: Reading, hints: SiblingHints) -> tuple[list[Row], TableLayout, bool]:
    items, layout, has_table = classified
    if not has_table:
        return [], layout, False
    return build_rows(items, reading, hints), layout, True


class _OtherForms(dict[str, str]):
    """The 二级指标 labels of a document's other forms, as ``hints.level2_by_name``.

    A read-only view over the document's index that leaves one form out;
    only lookups (``get``, ``[]``, ``in``) are served, which is all the
    rules do with it. Building a real dict per form would copy every
    sibling's labels for every form: quadratic in the document's forms.
    """

    def __init__(self, index: dict[str, list[tuple[int, str]]], exclude: int) -> None:
        super().__init__()
        self._index = index
        self._exclude = exclude

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        # the first form (in document order) other than this one that labels the name
        for index, level2 in self._index.get(name, ()):
            if index != self._exclude:
                return level2
        return default

    def __getitem__(self, name: str) -> str:
        found = self.get(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


@dataclass
class _DocumentFacts:
    """One document's sibling facts, indexed once (issue 9, item 9).

    ``labels``: for each indicator name, the first two forms (in document
    order) that file it under a printed 二级指标, with that label: the form
    itself is left out at lookup, so two are enough. ``splits``: how many
    forms split their weights each way, and the order in which each split
    first and second appeared (a tie goes to the earlier, as Counter's
    ``most_common`` does over the siblings in order).
    """

    own_split: dict[int, tuple[Decimal, ...] | None] = field(default_factory=dict)
    labels: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    split_count: Counter[tuple[Decimal, ...]] = field(default_factory=Counter)
    split_seen: dict[tuple[Decimal, ...], list[int]] = field(default_factory=dict)  # first two form indexes

    def add(self, index: int, labelled: dict[str, str], split: tuple[Decimal, ...] | None) -> None:
        self.own_split[index] = split
        for name, level2 in labelled.items():
            entries = self.labels.setdefault(name, [])
            if len(entries) < 2:
                entries.append((index, level2))
        if split is not None:
            self.split_count[split] += 1
            seen = self.split_seen.setdefault(split, [])
            if len(seen) < 2:
                seen.append(index)

    def common_split(self, exclude: int) -> tuple[tuple[Decimal, ...], int] | None:
        """The most common split among the forms other than ``exclude``."""
        own = self.own_split.get(exclude)
        best: tuple[tuple[Decimal, ...], int] | None = None
        best_rank: tuple[int, int] = (0, 0)
        # only the top few candidates can win once ``exclude`` is taken out
        for split, count in self.split_count.most_common(2) + ([(own, self.split_count[own])] if own else []):
            seen = self.split_seen[split]
            if split == own:
                count -= 1
                seen = [i for i in seen if i != exclude]
            if count <= 0 or not seen:
                continue
            rank = (count, -seen[0])
            if best is None or rank > best_rank:
                best, best_rank = (split, count), rank
        return best


class RulesExtractor:
    """Reads a form by its printed structure, never by guessing values."""

    name = "rules"

    def __init__(self) -> None:
        # one document at a time: the index is rebuilt when the document changes
        self._document: tuple[str, str, int, int, int] | None = None
        self._facts = _DocumentFacts()
        # the sibling pass classifies every form's table; each form takes its
        # own back (once) instead of classifying it a second time
        self._classified: dict[int, tuple[FormSlice, _Classified]] = {}

    def _facts_for(self, siblings: list[FormSlice]) -> _DocumentFacts:
        first = siblings[0].document
        key = (first.path, first.sha256, len(siblings), siblings[0].index, siblings[-1].index)
        if key != self._document:
            facts = _DocumentFacts()
            classified: dict[int, tuple[FormSlice, _Classified]] = {}
            for sibling in siblings:
                table = _classify(sibling)
                classified[sibling.index] = (sibling, table)
                rows, _, _ = _read_rows(table, Reading(), SiblingHints())
                labelled = {r.name_key: r.level2 for r in rows if r.level2 and not r.inferred}
                facts.add(sibling.index, labelled, level_sums(rows))
            self._document, self._facts, self._classified = key, facts, classified
        return self._facts

    def _classified_for(self, form: FormSlice, siblings: list[FormSlice]) -> _Classified:
        """The sibling pass's classification of this form, if it is one of them."""
        cached = self._classified.pop(form.index, None)
        if siblings and form.index == siblings[-1].index:
            # the document's last form: what is left (forms another reader took)
            # would keep the finished document alive until the next one
            self._classified.clear()
        # the very same slice: a caller may pass a variant of the form
        return cached[1] if cached is not None and cached[0] is form else _classify(form)

    def hints_for(self, form: FormSlice, siblings: list[FormSlice]) -> SiblingHints:
        hints = SiblingHints()
        if not any(s.index != form.index for s in siblings[:2]):
            return hints
        facts = self._facts_for(siblings)
        hints.level2_by_name = _OtherForms(facts.labels, form.index)
        common = facts.common_split(form.index)
        if common is not None:
            hints.splits[common[0]] = common[1]  # most_common(1) is all the rules ask of it
        return hints

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        reading = Reading()
        record = Record(project_name="")
        read_header(form.lines, reading, record)
        record.funding = read_funding(form.lines, reading)
        read_goals(form.lines, reading, record)
        hints = self.hints_for(form, siblings)
        rows, layout, has_table = _read_rows(self._classified_for(form, siblings), reading, hints)
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
