"""Alignment: each value an LLM returns is traced back to the cell that prints it.

The test answers are the hand-labelled gold records (what a perfect model
would return); the rules backend's provenance, found by reading the layout,
is the independent reference for where each value sits.
"""

from __future__ import annotations

from decimal import Decimal

from tests.extract.llm.llm_support import gold, gold_dir, sample_forms

from crossfoot.extract.llm.align import UNALIGNED, align_record
from crossfoot.extract.rules import RulesExtractor
from crossfoot.model import Record
from crossfoot.segment import FormSlice


def _labelled() -> list[tuple[str, Record, FormSlice, list[FormSlice]]]:
    cases = []
    for path in sorted(gold_dir().glob("*.json")):
        doc, index = path.stem.rsplit("__", 1)
        forms = sample_forms(f"{doc}.txt")
        record = Record.model_validate(gold(path.stem))
        cases.append((path.stem, record, forms[int(index)], forms))
    return cases


CASES = _labelled()


def test_every_gold_value_is_found_in_its_form() -> None:
    assert len(CASES) >= 22
    for name, record, form, _ in CASES:
        _, findings = align_record(record, form)
        assert [f.fields for f in findings if f.code == UNALIGNED] == [], name


def test_alignment_agrees_with_the_rules_on_where_values_are_printed() -> None:
    shared = agree = 0
    for _, record, form, forms in CASES:
        aligned, _ = align_record(record, form)
        rules = RulesExtractor().extract(form, forms).provenance
        for path, spans in rules.items():
            if path in aligned:
                shared += 1
                agree += (aligned[path][0].line, aligned[path][0].column) == (spans[0].line, spans[0].column)
    assert shared > 2000
    assert agree / shared >= 0.99, (agree, shared)


def test_spans_point_at_cells_that_print_the_value() -> None:
    for name, record, form, _ in CASES:
        aligned, _ = align_record(record, form)
        cells = {(line.number, cell.column): cell.text for line in form.lines for cell in line.cells}
        for path, spans in aligned.items():
            for span in spans:
                assert cells[(span.line, span.column)] == span.raw, (name, path)


def test_a_value_the_form_does_not_print_is_flagged() -> None:
    name, record, form, _ = CASES[0]
    invented = record.model_copy(deep=True)
    invented.indicators[0].score = Decimal("87.65")
    invented.department = "不存在的部门"
    provenance, findings = align_record(invented, form)
    flagged = {f.fields[0]: f for f in findings if f.code == UNALIGNED}
    assert set(flagged) == {"indicators.0.score", "department"}, name
    assert flagged["indicators.0.score"].expected == "87.65"
    assert "department" not in provenance and "indicators.0.score" not in provenance
