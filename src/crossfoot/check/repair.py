"""Suggested repair: the one printed number whose change makes every check pass.

Each broken equation proposes values for the numbers it involves; a proposal
is kept when the record with that single change raises no error at all. A
repair is only suggested when exactly one proposal survives (after preferring
one-character edits, the signature of an OCR or typing slip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from crossfoot.check.arithmetic import CHECKS, HUNDRED, as_printed, check_score_range
from crossfoot.model import Finding, Record, Repair, Severity, get_field, with_field

__all__ = ["suggest_repair"]

Proposal = tuple[str, Decimal]


def _solve_total_score(record: Record, finding: Finding) -> Iterator[Proposal]:
    assert finding.expected is not None and record.total_score is not None
    expected = Decimal(finding.expected)
    yield "total_score", expected
    gap = record.total_score - expected
    for path in finding.fields[1:]:
        value = get_field(record, path)
        if value is not None:
            yield path, value + gap


def _solve_total_weight(record: Record, finding: Finding) -> Iterator[Proposal]:
    if finding.expected is None:
        return
    expected = Decimal(finding.expected)
    reference = record.total_weight if record.total_weight is not None else HUNDRED
    if record.total_weight is not None:
        yield "total_weight", expected
    gap = reference - expected
    for path in finding.fields[1:]:
        value = get_field(record, path)
        if value is not None:
            yield path, value + gap


def _solve_execution_rate(record: Record, finding: Finding) -> Iterator[Proposal]:
    rate_path, executed_path, budget_path = finding.fields
    rate, executed, budget = (get_field(record, p) for p in finding.fields)
    yield rate_path, Decimal(finding.expected or "0")
    yield executed_path, rate * budget / HUNDRED
    if rate:
        yield budget_path, executed * HUNDRED / rate


def _solve_funding_score(record: Record, finding: Finding) -> Iterator[Proposal]:
    row = record.funding.total
    assert row is not None and row.weight is not None and row.score is not None
    yield "funding.total.score", Decimal(finding.expected or "0")
    if row.weight:
        yield "funding.total.execution_rate", row.score * HUNDRED / row.weight
    if row.execution_rate:
        yield "funding.total.weight", row.score * HUNDRED / min(row.execution_rate, HUNDRED)


def _solve_grade_total(record: Record, finding: Finding) -> Iterator[Proposal]:
    return iter(())


_SOLVERS: dict[str, Callable[[Record, Finding], Iterator[Proposal]]] = {
    "total_score_mismatch": _solve_total_score,
    "total_weight_mismatch": _solve_total_weight,
    "indicator_rows_missing": _solve_total_weight,
    "execution_rate_mismatch": _solve_execution_rate,
    "funding_score_mismatch": _solve_funding_score,
    "grade_mismatch": _solve_grade_total,
}


def _one_char_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


#: The checks in the order a trial is refuted soonest. Whether any check
#: errs does not depend on the order, and a trial stops at the first error:
#: most proposals (an indicator's 得分 moved by the total's gap) put a score
#: above its 分值, which check_score_range sees at once.
_TRIAL_ORDER = (check_score_range, *(check for check in CHECKS if check is not check_score_range))


def _passes(record: Record, path: str, value: Decimal) -> bool:
    """Whether the record with one field changed raises no error at all
    (every check, every column: ``run_arithmetic`` with no ``prints``)."""
    trial = with_field(record, path, value)
    return not any(f.severity is Severity.error for check in _TRIAL_ORDER for f in check(trial))


def suggest_repair(record: Record, findings: list[Finding]) -> Repair | None:
    """The single printed number to change, or None when none or several would do."""
    errors = [f for f in findings if f.severity is Severity.error and f.code in _SOLVERS]
    if not errors:
        return None
    survivors: dict[str, tuple[str, str]] = {}
    for finding in errors:
        try:
            proposals = list(_SOLVERS[finding.code](record, finding))
        except (InvalidOperation, KeyError, TypeError, ZeroDivisionError):
            continue
        for path, raw_value in proposals:
            printed = get_field(record, path)
            if printed is None:
                continue
            value = as_printed(raw_value, printed)
            if value < 0 or value == printed or path in survivors:
                continue
            if _passes(record, path, value):
                survivors[path] = (format(printed, "f"), format(value, "f"))
    if len(survivors) > 1:
        slips = {p: v for p, v in survivors.items() if _one_char_edit(*v)}
        survivors = slips
    if len(survivors) != 1:
        return None
    ((field, (printed_text, value_text)),) = survivors.items()
    return Repair(field=field, printed=printed_text, value=value_text)
