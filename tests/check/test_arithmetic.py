"""Each check: a record that passes it and one that fails it."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from crossfoot.check import has_errors, run_checks
from crossfoot.check.arithmetic import places
from crossfoot.model import Funding, FundingRow, Indicator, Record


def _record(**changes: object) -> Record:
    """A small record whose arithmetic holds: 10 + 50 + 30 + 10 = 100."""
    record = Record(
        year=2024,
        project_name="测试",
        amount_unit="万元",
        funding=Funding(
            total=FundingRow(
                initial_budget=Decimal("409.63"),
                annual_budget=Decimal("409.63"),
                executed=Decimal("404.00"),
                weight=Decimal("10.00"),
                execution_rate=Decimal("98.62"),
                score=Decimal("9.86"),
            ),
            current_year=FundingRow(
                initial_budget=Decimal("409.63"), annual_budget=Decimal("409.63"), executed=Decimal("404.00")
            ),
            carryover=FundingRow(initial_budget=Decimal("0.00"), annual_budget=Decimal("0.00"), executed=Decimal("0")),
            other=None,
        ),
        indicators=[
            Indicator(level1="产出指标", level2="数量指标", name="a", weight=Decimal("50.00"), score=Decimal("45.00")),
            Indicator(
                level1="效益指标", level2="社会效益指标", name="b", weight=Decimal("30.00"), score=Decimal("30.00")
            ),
            Indicator(
                level1="满意度指标",
                level2="服务对象满意度指标",
                name="c",
                weight=Decimal("10.00"),
                score=Decimal("9.50"),
            ),
        ],
        total_weight=Decimal("100.00"),
        total_score=Decimal("94.36"),
        grade="优",
    )
    for path, value in changes.items():
        target: object = record
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else getattr(target, part)
        setattr(target, parts[-1], value)
    return record


def codes(record: Record) -> set[str]:
    return {f.code for f in run_checks(record)}


def test_consistent_record_has_no_error() -> None:
    findings = run_checks(_record())
    assert not has_errors(findings), findings


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"funding__total__execution_rate": Decimal("97.62")}, "execution_rate_mismatch"),
        ({"funding__total__score": Decimal("8.86")}, "funding_score_mismatch"),
        ({"total_score": Decimal("95.36")}, "total_score_mismatch"),
        ({"total_weight": Decimal("90.00")}, "total_weight_not_100"),
        (
            {"indicators__0__weight": Decimal("40.00"), "indicators__0__score": Decimal("35.00")},
            "indicator_rows_missing",
        ),
        ({"indicators__2__score": Decimal("11.00")}, "indicator_score_out_of_range"),
        ({"indicators__2__score": Decimal("-1.00")}, "indicator_score_out_of_range"),
        ({"funding__current_year__executed": Decimal("400.00")}, "funding_breakdown_mismatch"),
        ({"grade": "良"}, "grade_mismatch"),
        ({"indicators__1__level1": "产出指标"}, "hierarchy_violation"),
        ({"indicators__1__score": None}, "indicator_value_missing"),
        ({"total_score": None, "total_weight": None}, "total_row_missing"),
    ],
)
def test_each_check_fails_on_its_error(changes: dict[str, object], code: str) -> None:
    assert code not in codes(_record())
    assert code in codes(_record(**changes))


def test_execution_rate_allows_printed_rounding_and_round_up() -> None:
    # 355.50 / 355.51 = 99.9972 %, printed 99.99 (truncated): within 0.01 pp
    record = _record(
        funding__total__annual_budget=Decimal("355.51"),
        funding__total__executed=Decimal("355.50"),
        funding__total__execution_rate=Decimal("99.99"),
        funding__total__score=Decimal("10.00"),
        funding__current_year__annual_budget=Decimal("355.51"),
        funding__current_year__executed=Decimal("355.50"),
        total_score=Decimal("94.50"),
    )
    assert "execution_rate_mismatch" not in codes(record)
    assert "funding_score_mismatch" not in codes(record)


def test_funding_score_rounds_half_up() -> None:
    # 10 × 94.05 % = 9.405 -> printed 9.41
    record = _record(
        funding__total__annual_budget=Decimal("3832.25"),
        funding__total__executed=Decimal("3604.55"),
        funding__total__execution_rate=Decimal("94.05"),
        funding__total__score=Decimal("9.41"),
    )
    assert "funding_score_mismatch" not in codes(record)


def test_execution_over_100_is_a_warning() -> None:
    record = _record(funding__total__execution_rate=Decimal("120.00"), funding__total__executed=Decimal("491.56"))
    finding = next(f for f in run_checks(record) if f.code == "execution_rate_over_100")
    assert finding.severity.value == "warning"


def test_template_zero_breakdown_is_info_only() -> None:
    record = _record(funding__current_year__initial_budget=Decimal("0"))
    record.funding.carryover = FundingRow(initial_budget=Decimal("0"), annual_budget=Decimal("0"))
    finding = next(f for f in run_checks(record) if f.code == "funding_breakdown_template")
    assert finding.severity.value == "info"
    assert not has_errors(run_checks(record))


def test_grade_bands() -> None:
    assert "grade_mismatch" not in codes(_record(total_score=Decimal("94.36"), grade="优"))
    record = _record(
        indicators__0__score=Decimal("30.00"),
        total_score=Decimal("79.36"),
        grade="中",
    )
    assert "grade_mismatch" not in codes(record)
    record.grade = "良"
    assert "grade_mismatch" in codes(record)


def test_findings_name_fields_and_values() -> None:
    finding = next(f for f in run_checks(_record(total_score=Decimal("95.36"))) if f.code == "total_score_mismatch")
    assert finding.severity.value == "error"
    assert finding.printed == "95.36"
    assert finding.expected == "94.36"
    assert "total_score" in finding.fields


def test_single_number_repair_is_suggested() -> None:
    # every indicator at full marks: only the printed total can be the slip
    full = _record(indicators__0__score=Decimal("50.00"), indicators__2__score=Decimal("10.00"))
    full.total_score = Decimal("99.86")
    assert "total_score_mismatch" not in codes(full)
    full.total_score = Decimal("100.36")
    finding = next(f for f in run_checks(full) if f.code == "total_score_mismatch")
    assert finding.repair is not None
    assert (finding.repair.field, finding.repair.value) == ("total_score", "99.86")


def test_no_repair_when_several_single_changes_would_do() -> None:
    # indicator 0 has room below its weight: raising it or lowering the total
    # both reconcile, so no single number is named
    findings = run_checks(_record(total_score=Decimal("95.36")))
    assert has_errors(findings)
    assert all(f.repair is None for f in findings)


def test_repair_on_a_real_form(samples) -> None:  # type: ignore[no-untyped-def]
    from crossfoot.extract.rules import RulesExtractor
    from crossfoot.ingest import load_document
    from crossfoot.segment import split_forms

    forms = split_forms(load_document(samples / "002_dd147dae2c6ae523.txt"))
    result = RulesExtractor().extract(forms[3], forms)  # 设备运行与维护
    assert result.record is not None
    finding = next(f for f in run_checks(result.record) if f.code == "total_score_mismatch")
    assert finding.printed == "96.38"
    assert finding.repair is not None and finding.repair.field == "total_score"


def test_ocr_slip_in_an_indicator_score_is_the_repair() -> None:
    # 45.00 misread as 46.00 (a 5/6 slip): the total no longer adds up, and
    # only restoring that one cell makes every check pass within its range
    findings = run_checks(_record(indicators__0__score=Decimal("48.00")))
    repairs = {f.repair.field for f in findings if f.repair}
    assert repairs in ({"indicators.0.score"}, {"total_score"}, set())
    assert has_errors(findings)


def test_no_repair_when_two_numbers_are_wrong() -> None:
    findings = run_checks(_record(total_score=Decimal("95.36"), funding__total__score=Decimal("7.00")))
    assert all(f.repair is None for f in findings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10", 0), ("9.86", 2), ("100.00", 2), ("0E-5", 5), ("1E+2", 0), ("1.0E-7", 8), ("-3.50", 2), ("NaN", 0)],
)
@pytest.mark.parametrize("capitals", [1, 0])
def test_places_as_printed_whatever_the_context_prints(text: str, expected: int, capitals: int) -> None:
    """places() reads the string form, which a decimal context may print
    with a small e (1.0e-7): the count must not change."""
    with localcontext() as context:
        context.capitals = capitals
        assert places(Decimal(text)) == expected
