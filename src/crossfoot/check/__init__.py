"""Check: deterministic arithmetic over a Record -> Findings, with repairs."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel

from crossfoot.check.arithmetic import CHECK_CODES, grade_for, run_arithmetic
from crossfoot.check.repair import suggest_repair
from crossfoot.extract.values import out_of_range
from crossfoot.lexicon import SHANGHAI_FAMILY, load_lexicon
from crossfoot.model import Finding, Record, Severity

__all__ = [
    "CHECK_CODES",
    "OUT_OF_RANGE",
    "absurd_fields",
    "grade_for",
    "has_errors",
    "prints_for",
    "run_checks",
    "suggest_repair",
]

#: a number outside the sane range (extract/values.py): the checks do not run on it
OUT_OF_RANGE = "number_out_of_range"
#: the checks themselves failed on this record: a bug, kept on the form, never raised
CHECKS_FAILED = "checks_failed"


def _decimals(node: object, path: str) -> Iterator[tuple[str, Decimal]]:
    if isinstance(node, Decimal):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _decimals(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for n, item in enumerate(node):
            yield from _decimals(item, f"{path}.{n}")


def _any_absurd(record: Record) -> bool:
    """Whether any number is outside the sane range: the walk of ``_decimals``
    without the field paths, which only a record that has one needs."""
    stack: list[object] = [record]
    while stack:
        node = stack.pop()
        if isinstance(node, Decimal):
            if out_of_range(node):
                return True
        elif isinstance(node, BaseModel):
            stack.extend(node.__dict__.values())  # a pydantic model keeps its fields there
        elif isinstance(node, list):
            stack.extend(node)
    return False


def absurd_fields(record: Record) -> list[str]:
    """The record's numbers outside the sane range, by field path."""
    if not _any_absurd(record):
        return []
    return [path for path, value in _decimals(record, "") if out_of_range(value)]


def _shown(value: Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def prints_for(template: str | None) -> frozenset[str] | None:
    """The columns a template prints (lexicon.toml), None for every column."""
    if template is None or template in SHANGHAI_FAMILY:
        return None
    profile = load_lexicon().templates.get(template or "")
    return None if profile is None else frozenset(profile.prints)


def run_checks(
    record: Record, *, suggest: bool = True, prints: frozenset[str] | None = None, template: str | None = None
) -> list[Finding]:
    """All checks; when one printed number explains every error, say which.

    ``suggest=False`` when the extraction itself is in doubt (a cell could not
    be read): a repair would then vouch for values nobody has confirmed.
    ``template`` (the envelope's ``source.template``) or ``prints`` name the
    columns the form's template prints; the checks say nothing about the rest.
    Never raises: a number outside the sane range is a finding (and the
    arithmetic is not tried on it), and so is a failure of the checks.
    """
    absurd = absurd_fields(record)
    if absurd:
        values = {path: value for path, value in _decimals(record, "")}
        shown = ", ".join(f"{path} = {_shown(values[path])}" for path in absurd)
        return [
            Finding(
                code=OUT_OF_RANGE,
                severity=Severity.error,
                message=f"number outside the sane range, so the arithmetic was not checked: {shown}",
                fields=absurd,
            )
        ]
    try:
        return _checked(record, suggest=suggest, prints=prints if prints is not None else prints_for(template))
    except ArithmeticError as exc:  # the last resort: the batch goes on, the form goes to review
        return [
            Finding(
                code=CHECKS_FAILED,
                severity=Severity.error,
                message=f"the checks could not run on this record ({type(exc).__name__}); review it by hand",
            )
        ]


def _checked(record: Record, *, suggest: bool, prints: frozenset[str] | None) -> list[Finding]:
    findings = run_arithmetic(record, prints)
    repair = suggest_repair(record, findings) if suggest else None
    if repair is not None:
        for finding in findings:
            if finding.severity is Severity.error and repair.field in finding.fields:
                finding.repair = repair
                finding.message += (
                    f" — changing {repair.field} from {repair.printed} to {repair.value} would make every check pass"
                )
    return findings


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is error-severity: the form goes to review."""
    return any(f.severity is Severity.error for f in findings)
