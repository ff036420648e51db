"""The deterministic checks of SCHEMA.md, plus the "nothing silently missing"
checks. Pure functions of a Record; Decimal throughout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal

from crossfoot.model import (
    FUNDING_ROWS,
    PARENT,
    Finding,
    FundingRow,
    Record,
    Severity,
)

__all__ = ["ALL_COLUMNS", "CHECKS", "CHECK_CODES", "grade_for", "places", "run_arithmetic"]

HUNDRED = Decimal(100)
RATE_SLACK = Decimal("0.01")  # SCHEMA.md: 0.01 percentage points plus rounding


def places(value: Decimal) -> int:
    """Decimal places as printed: 10 -> 0, 9.86 -> 2."""
    # read off the plain string, a quarter of the cost of as_tuple (the sums'
    # tolerances ask it of every part, trial after trial); the exponent only
    # where the string is in E notation (1E+2, 1.0E-7)
    text = str(value)
    if "E" in text or "e" in text:  # (a decimal context may print it small)
        exponent = value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0
    point = text.find(".")
    return 0 if point < 0 else len(text) - point - 1


def half_unit(value: Decimal) -> Decimal:
    """Half a unit in the last printed place: the rounding a printer allows."""
    return Decimal(5) * Decimal(10) ** -(places(value) + 1)


def as_printed(value: Decimal, like: Decimal | None) -> Decimal:
    """``value`` rounded to the precision ``like`` was printed with."""
    if like is None:
        return value.normalize()
    return value.quantize(Decimal(1).scaleb(-places(like)), rounding=ROUND_HALF_UP)


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def grade_for(total: Decimal) -> str:
    """优 ≥ 90, 良 80–90, 中 60–80, 差 < 60."""
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


def _rows(record: Record) -> Iterator[tuple[str, FundingRow]]:
    for key in FUNDING_ROWS:
        row = getattr(record.funding, key)
        if row is not None:
            yield key, row


def check_execution_rate(record: Record) -> Iterator[Finding]:
    """1. execution_rate ≈ executed / annual_budget × 100."""
    for key, row in _rows(record):
        rate, executed, budget = row.execution_rate, row.executed, row.annual_budget
        if rate is None or executed is None or budget is None:
            continue
        if budget == 0:
            if executed == 0 and rate == 0:
                continue
            yield Finding(
                code="execution_rate_undefined",
                severity=Severity.warning,
                message=f"funding.{key}: 全年预算数 is 0 but 执行率 prints {rate}",
                fields=[f"funding.{key}.execution_rate", f"funding.{key}.annual_budget"],
                printed=_fmt(rate),
            )
            continue
        expected = executed / budget * HUNDRED
        if abs(rate - expected) > RATE_SLACK + half_unit(rate):
            shown = as_printed(expected, rate)
            yield Finding(
                code="execution_rate_mismatch",
                severity=Severity.error,
                message=(
                    f"funding.{key}: 执行率 prints {rate}% but 全年执行数 {executed} / 全年预算数 {budget} = {shown}%"
                ),
                fields=[
                    f"funding.{key}.execution_rate",
                    f"funding.{key}.executed",
                    f"funding.{key}.annual_budget",
                ],
                printed=_fmt(rate),
                expected=_fmt(shown),
            )


def _effective_rate(row: FundingRow) -> Decimal | None:
    if row.execution_rate is not None:
        return row.execution_rate
    if row.executed is not None and row.annual_budget:
        return row.executed / row.annual_budget * HUNDRED
    return None


def check_execution_over_100(record: Record) -> Iterator[Finding]:
    """Execution above 100% is possible but worth a look."""
    total = record.funding.total
    rate = total.execution_rate if total else None
    if rate is not None and rate > HUNDRED:
        yield Finding(
            code="execution_rate_over_100",
            severity=Severity.warning,
            message=f"执行率 {rate}% is above 100%: more was spent than budgeted",
            fields=["funding.total.execution_rate"],
            printed=_fmt(rate),
        )


def check_funding_score(record: Record) -> Iterator[Finding]:
    """2. funding score = weight × min(rate, 100) / 100, to the printed precision."""
    row = record.funding.total
    if row is None or row.weight is None or row.score is None:
        return
    rate = _effective_rate(row)
    if rate is None:
        return
    expected = row.weight * min(rate, HUNDRED) / HUNDRED
    if abs(row.score - expected) > half_unit(row.score):
        shown = as_printed(expected, row.score)
        yield Finding(
            code="funding_score_mismatch",
            severity=Severity.error,
            message=(
                f"资金得分 prints {row.score} but 分值 {row.weight} × "
                f"min(执行率 {as_printed(rate, row.execution_rate)}%, 100%) = {shown}"
            ),
            fields=["funding.total.score", "funding.total.weight", "funding.total.execution_rate"],
            printed=_fmt(row.score),
            expected=_fmt(shown),
        )


def _sum_tolerance(total: Decimal, parts: list[Decimal]) -> Decimal:
    # Sums of printed numbers are exact; allow rounding only when the total is
    # printed coarser than its parts.
    finest = max((places(p) for p in parts), default=0)
    return half_unit(total) if places(total) < finest else Decimal(0)


def _funding_value(record: Record, column: str) -> Decimal:
    row = record.funding.total
    value = getattr(row, column) if row else None
    return value if value is not None else Decimal(0)


def check_total_score(record: Record) -> Iterator[Finding]:
    """3. total_score = funding score + Σ indicator scores."""
    if record.total_score is None or any(i.score is None for i in record.indicators):
        return
    parts = [_funding_value(record, "score")] + [i.score for i in record.indicators if i.score is not None]
    expected = sum(parts, Decimal(0))
    if abs(record.total_score - expected) > _sum_tolerance(record.total_score, parts):
        yield Finding(
            code="total_score_mismatch",
            severity=Severity.error,
            message=(
                f"总分 得分 prints {record.total_score} but 资金得分 {parts[0]} + "
                f"Σ 指标得分 {expected - parts[0]} = {expected}"
            ),
            fields=["total_score", "funding.total.score"]
            + [f"indicators.{n}.score" for n in range(len(record.indicators))],
            printed=_fmt(record.total_score),
            expected=_fmt(expected),
        )


def check_total_weight(record: Record) -> Iterator[Finding]:
    """4. total_weight = funding weight + Σ indicator weights, and is 100."""
    if record.total_weight is not None and record.total_weight != HUNDRED:
        yield Finding(
            code="total_weight_not_100",
            severity=Severity.error,
            message=f"总分 分值 prints {record.total_weight}, not 100",
            fields=["total_weight"],
            printed=_fmt(record.total_weight),
            expected="100",
        )
    if any(i.weight is None for i in record.indicators):
        return
    funding = _funding_value(record, "weight")
    indicator_sum = sum((i.weight for i in record.indicators if i.weight is not None), Decimal(0))
    expected = funding + indicator_sum
    reference = record.total_weight if record.total_weight is not None else HUNDRED
    if expected == reference:
        return
    short = expected < reference
    yield Finding(
        code="indicator_rows_missing" if short and record.total_weight is not None else "total_weight_mismatch",
        severity=Severity.error,
        message=(
            f"资金分值 {funding} + Σ 指标分值 {indicator_sum} = {expected}, "
            + (f"but 总分 分值 is {reference}" if record.total_weight is not None else "not the 100 a form totals to")
            + ("; fewer indicator rows than the weights imply?" if short else "")
        ),
        fields=["total_weight", "funding.total.weight"]
        + [f"indicators.{n}.weight" for n in range(len(record.indicators))],
        printed=_fmt(record.total_weight),
        expected=_fmt(expected),
    )


def check_score_range(record: Record) -> Iterator[Finding]:
    """5. 0 ≤ indicator score ≤ its weight."""
    for n, indicator in enumerate(record.indicators):
        if indicator.score is None or indicator.weight is None:
            continue
        if not Decimal(0) <= indicator.score <= indicator.weight:
            yield Finding(
                code="indicator_score_out_of_range",
                severity=Severity.error,
                message=(
                    f"indicator {n} {indicator.name}: 得分 {indicator.score} is outside 0..分值 {indicator.weight}"
                ),
                fields=[f"indicators.{n}.score", f"indicators.{n}.weight"],
                printed=_fmt(indicator.score),
                expected=f"0..{indicator.weight}",
            )


def check_funding_breakdown(record: Record) -> Iterator[Finding]:
    """6. total = current year + carryover + other, column by column."""
    total = record.funding.total
    if total is None:
        return
    part_rows = [getattr(record.funding, k) for k in FUNDING_ROWS[1:]]
    for column in ("initial_budget", "annual_budget", "executed"):
        printed = getattr(total, column)
        parts = [getattr(r, column) for r in part_rows if r is not None]
        parts = [p for p in parts if p is not None]
        if printed is None or not parts:
            continue
        expected = sum(parts, Decimal(0))
        if expected == printed:
            continue
        template = all(p == 0 for p in parts)
        yield Finding(
            code="funding_breakdown_template" if template else "funding_breakdown_mismatch",
            # template zeros are how these forms are often filled: info only;
            # parts that are filled but do not add up are a real inconsistency
            severity=Severity.info if template else Severity.error,
            message=(
                f"{column}: 年度资金总额 {printed} but the breakdown rows "
                + ("are left at template zeros" if template else f"add up to {expected}")
            ),
            fields=[f"funding.total.{column}"]
            + [f"funding.{k}.{column}" for k in FUNDING_ROWS[1:] if getattr(record.funding, k)],
            printed=_fmt(printed),
            expected=_fmt(expected),
        )


def check_grade(record: Record) -> Iterator[Finding]:
    """7. grade agrees with total_score."""
    if record.grade is None or record.total_score is None:
        return
    expected = grade_for(record.total_score)
    if record.grade not in ("优", "良", "中", "差"):
        yield Finding(
            code="grade_unknown",
            severity=Severity.warning,
            message=f"评分等级 {record.grade!r} is not one of 优 / 良 / 中 / 差",
            fields=["grade"],
            printed=record.grade,
            expected=expected,
        )
    elif record.grade != expected:
        yield Finding(
            code="grade_mismatch",
            severity=Severity.error,
            message=f"评分等级 prints {record.grade} but 总分 {record.total_score} is {expected}",
            fields=["grade", "total_score"],
            printed=record.grade,
            expected=expected,
        )


def check_hierarchy(record: Record) -> Iterator[Finding]:
    """8. every (level1, level2) pair is in the fixed hierarchy."""
    for n, indicator in enumerate(record.indicators):
        if PARENT.get(indicator.level2) != indicator.level1:
            yield Finding(
                code="hierarchy_violation",
                severity=Severity.error,
                message=(
                    f"indicator {n} {indicator.name}: {indicator.level2} belongs under "
                    f"{PARENT.get(indicator.level2)}, not {indicator.level1}"
                ),
                fields=[f"indicators.{n}.level1", f"indicators.{n}.level2"],
                printed=indicator.level1,
                expected=PARENT.get(indicator.level2),
            )


#: every column a form can print; a template's profile names the ones it has
ALL_COLUMNS: frozenset[str] = frozenset(
    {"funding_weight", "funding_score", "indicator_weight", "indicator_score", "total_weight", "total_score"}
)


def _uses(record: Record, prints: frozenset[str] | None, column: str) -> bool:
    """Whether this form is expected to print ``column``.

    ``prints=None`` is the strict default (the Shanghai form prints every
    column). A template profile narrows it, and then a column counts only when
    the form prints it somewhere: an unscored form of a template that may be
    scored is not missing its scores.
    """
    if prints is None:
        return True
    if column not in prints:
        return False
    if column == "indicator_weight":
        return any(i.weight is not None for i in record.indicators)
    if column in ("indicator_score", "total_score"):
        return any(i.score is not None for i in record.indicators) or record.total_score is not None
    if column == "total_weight":
        return record.total_weight is not None or any(i.weight is not None for i in record.indicators)
    return True


def check_missing(record: Record, prints: frozenset[str] | None = None) -> Iterator[Finding]:
    """Nothing silently missing: absent tables, rows and cells are findings,
    for the columns the form's template prints."""
    if record.funding.total is None:
        yield Finding(
            code="funding_missing",
            severity=Severity.error,
            message="no 年度资金总额 row was read",
            fields=["funding.total"],
        )
    if not record.indicators:
        yield Finding(
            code="indicator_table_missing",
            severity=Severity.error,
            message="no indicator rows were read",
            fields=["indicators"],
        )
    totals = _uses(record, prints, "total_weight") or _uses(record, prints, "total_score")
    if totals and record.total_weight is None and record.total_score is None:
        yield Finding(
            code="total_row_missing",
            severity=Severity.error,
            message="no 总分 row was read",
            fields=["total_weight", "total_score"],
        )
    columns = [c for c in ("weight", "score") if _uses(record, prints, f"indicator_{c}")]
    for n, indicator in enumerate(record.indicators):
        if indicator.name.startswith("其中"):
            continue  # a breakdown of the row above (其中柑橘种植面积): printed without 分值 / 得分
        for column in columns:
            if getattr(indicator, column) is None:
                yield Finding(
                    code="indicator_value_missing",
                    severity=Severity.error,
                    message=f"indicator {n} {indicator.name}: no {'分值' if column == 'weight' else '得分'}",
                    fields=[f"indicators.{n}.{column}"],
                )


Check = Callable[[Record], Iterator[Finding]]

CHECKS: tuple[Check, ...] = (
    check_missing,
    check_execution_rate,
    check_execution_over_100,
    check_funding_score,
    check_total_score,
    check_total_weight,
    check_score_range,
    check_funding_breakdown,
    check_grade,
    check_hierarchy,
)

CHECK_CODES: tuple[str, ...] = (
    "funding_missing",
    "indicator_table_missing",
    "total_row_missing",
    "indicator_value_missing",
    "execution_rate_mismatch",
    "execution_rate_undefined",
    "execution_rate_over_100",
    "funding_score_mismatch",
    "total_score_mismatch",
    "total_weight_not_100",
    "total_weight_mismatch",
    "indicator_rows_missing",
    "indicator_score_out_of_range",
    "funding_breakdown_template",
    "funding_breakdown_mismatch",
    "grade_unknown",
    "grade_mismatch",
    "hierarchy_violation",
)


def run_arithmetic(record: Record, prints: frozenset[str] | None = None) -> list[Finding]:
    """Every check, in a stable order. ``prints``: the columns the form's
    template prints (None: all of them); the checks say nothing about the rest."""
    findings = list(check_missing(record, prints))
    for check in CHECKS:
        if check is not check_missing:
            findings.extend(check(record))
    return findings
