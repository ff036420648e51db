"""Spreadsheet numbers shown as Excel shows them, by their format code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crossfoot.ingest.numfmt import display_number, display_value, general


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [
        (403.7, "0.00", "403.70"),
        (0.9862, "0.00%", "98.62%"),
        (0.05, "0%", "5%"),
        (1234567, "#,##0", "1,234,567"),
        (1234567.891, "#,##0.00_ ", "1,234,567.89"),
        (-1234.567, "#,##0.00", "-1,234.57"),
        (-5, "0.00_);[Red](0.00)", "(5.00)"),  # the negative section prints its own sign
        (-5, "0.00;[Red]0.00", "5.00"),
        (0, '0.00;-0.00;"-"', "-"),  # accounting zero
        (12.5, "0", "13"),  # Excel rounds half away from zero
        (2.5, "0", "3"),
        (0.5, "#.00", ".50"),
        (98.62, '0.00"%"', "98.62%"),  # a literal percent sign does not scale
        (3, '0"个"', "3个"),
        (1500000, "#,##0,", "1,500"),  # a trailing comma shows thousands
        (1234567, "0.0,,", "1.2"),
        (1500000, "0,", "1500"),  # scaling without grouping
        (float("nan"), "0.00", "nan"),
        (7, "@", "7"),
        (Decimal("88.8"), "[$-804]0.00", "88.80"),
    ],
)
def test_format_codes(value: float | int | Decimal, code: str, shown: str) -> None:
    assert display_number(value, code) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.1 + 0.2, "0.3"), (1 / 3, "0.3333333333"), (100.0, "100"), (80000, "80000"), (0, "0"), (-0.25, "-0.25")],
)
def test_general_shows_what_excel_shows(value: float, shown: str) -> None:
    assert general(value) == shown
    assert display_number(value, None) == shown == display_number(value, "General")


def test_other_values() -> None:
    assert display_value(None, "0.00") == ""
    assert display_value(True, None) == "TRUE"
    assert display_value(dt.datetime(2023, 12, 31), "yyyy-mm-dd") == "2023-12-31"
    assert display_value(dt.datetime(2023, 12, 31, 9, 30), "yyyy-mm-dd hh:mm") == "2023-12-31 09:30:00"
    assert display_value("=30个", "@") == "=30个"
