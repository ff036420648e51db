"""Score records read from a corpus file with the eval harness's own scorer
(crossfoot.evaluate.score), so the ingest tests and `crossfoot eval` agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossfoot.evaluate.gold import contract_part
from crossfoot.evaluate.score import score_form
from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest import load_document
from crossfoot.segment import split_forms
from crossfoot.settings import Settings


def read_records(path: Path, settings: Settings) -> tuple[list[dict[str, Any]], int]:
    """Every form of one input, extracted by the rules backend; and the line count."""
    document = load_document(path, settings)
    forms = split_forms(document)
    extractor = RulesExtractor()
    records = []
    for form in forms:
        record = extractor.extract(form, forms).record
        assert record is not None
        records.append(record.model_dump(mode="json"))
    return records, len(document.lines)


class Score:
    """Numeric-cell tally over several forms, with every mismatch spelled out."""

    def __init__(self) -> None:
        self.numeric = 0
        self.numeric_ok = 0
        self.mismatches: list[str] = []

    def add(self, name: str, fixture: dict[str, Any], record: dict[str, Any] | None) -> None:
        result = score_form(name, contract_part(fixture), record, fixture.get("_alternatives"))
        for field in result.fields:
            if field.numeric:
                self.numeric += 1
                self.numeric_ok += field.correct
            if not field.correct:
                self.mismatches.append(f"{name} {field.path}: gold {field.gold!r}, read {field.predicted!r}")

    @property
    def numeric_accuracy(self) -> float:
        return self.numeric_ok / self.numeric if self.numeric else 1.0
