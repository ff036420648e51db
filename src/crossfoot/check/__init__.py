"""Check: deterministic arithmetic over a Record -> Findings, with repairs."""

from __future__ import annotations

from crossfoot.check.arithmetic import CHECK_CODES, grade_for, run_arithmetic
from crossfoot.check.repair import suggest_repair
from crossfoot.lexicon import load_lexicon
from crossfoot.model import Finding, Record, Severity

__all__ = ["CHECK_CODES", "grade_for", "has_errors", "prints_for", "run_checks", "suggest_repair"]


#: the Shanghai-layout family prints every column and is checked strictly
STRICT_TEMPLATES = frozenset({None, "shanghai", "mof_central"})


def prints_for(template: str | None) -> frozenset[str] | None:
    """The columns a template prints (lexicon.toml), None for every column."""
    if template in STRICT_TEMPLATES:
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
    """
    findings = run_arithmetic(record, prints if prints is not None else prints_for(template))
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
