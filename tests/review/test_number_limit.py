"""One sane range for numbers (extract/values.py): a reviewer's edit is
refused exactly when the extractor would flag the same printed text, so a
value a form prints can always be typed back, and nothing flagged can be."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossfoot.check import OUT_OF_RANGE, absurd_fields, run_checks
from crossfoot.errors import StoreError
from crossfoot.extract.values import NumberOutOfRange, parse_decimal
from crossfoot.model import Record
from crossfoot.review.edits import coerce_value

#: on both sides of each edge: 15 digits before the point, 10 after
TEXTS = [
    "999999999999999",
    "1000000000000000",
    "999,999,999,999,999.9999999999",
    "-999999999999999.9999999999",
    "0.3333333333",  # Excel's General shows 1/3 so: a spreadsheet prints it
    "0.33333333333",
    "12.345678",  # 万元 to the fen
    "95.00%",
    "1.00000000000",
    "0.00000000001",
    "9" * 16 + ".5",
    "0",
]


def review_refuses(text: str) -> bool:
    try:
        coerce_value("funding.total.executed", text)
    except StoreError as exc:
        assert "out of range" in str(exc) and "funding.total.executed" in str(exc)
        return True
    return False


def extractor_flags(text: str) -> bool:
    try:
        parse_decimal(text)
    except NumberOutOfRange:
        return True
    return False


def checks_flag(text: str) -> bool:
    """A record holding the number (an LLM's answer is not parsed from a cell): the checks' finding."""
    number = Decimal(text.replace(",", "").removesuffix("%"))
    record = Record.model_validate({"project_name": "x", "total_score": number})
    flagged = bool(absurd_fields(record))
    assert flagged == (OUT_OF_RANGE in {f.code for f in run_checks(record)})
    return flagged


@pytest.mark.parametrize("text", TEXTS)
def test_the_review_refuses_exactly_what_the_extractor_flags(text: str) -> None:
    assert review_refuses(text) == extractor_flags(text) == checks_flag(text)


def test_the_edges_are_where_the_comment_says() -> None:
    flagged = {text for text in TEXTS if extractor_flags(text)}
    assert flagged == {"1000000000000000", "0.33333333333", "1.00000000000", "0.00000000001", "9" * 16 + ".5"}
