"""The zoo's form model: what a form prints, and the contract record it gives.

A ``Form`` holds every value *as printed* (strings with thousands separators,
``%`` signs, dashes). ``record()`` turns it into the contract record by the
labelling rules of eval/README.md and SCHEMA.md's "Other templates" section:
decimals lose separators and ``%``; an empty cell, a dash or a slash is null;
text loses its line breaks. The layouts draw from the same printed strings, so
the gold is what the rendered file prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NULLS = {"", "—", "-", "/", "－", "──", "——", "／"}


@dataclass
class Fund:
    """One funding row as printed (None: the cell is empty)."""

    initial: str | None = None
    annual: str | None = None
    executed: str | None = None
    weight: str | None = None
    rate: str | None = None
    score: str | None = None


@dataclass
class Ind:
    """One indicator row as printed. ``target`` is a tuple (指标性质, 指标值, 度量单位)
    where the template splits it."""

    l1: str
    l2: str
    name: str
    target: str | tuple[str, str, str] | None
    actual: str | None = None
    weight: str | None = None
    score: str | None = None
    dev: str | None = None

    def target_text(self) -> str | None:
        if isinstance(self.target, tuple):
            return "".join(self.target)
        return self.target


@dataclass
class Form:
    key: str
    template: str
    project: str
    department: str | None
    unit: str | None
    amount_unit: str | None
    year: int | None
    funding: dict[str, Fund]
    goals_expected: list[str]
    goals_actual: list[str]
    indicators: list[Ind]
    total_weight: str | None = None
    total_score: str | None = None
    grade: str | None = None
    notes: list[str] = field(default_factory=list)
    #: template quirks the layouts print but the record does not hold
    extras: dict[str, Any] = field(default_factory=dict)
    #: {field path: [other acceptable values]}
    alternatives: dict[str, list[Any]] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The contract record (JSON form) of what this form prints."""
        funding: dict[str, Any] = {}
        for key in ("total", "current_year", "carryover", "other"):
            row = self.funding.get(key)
            funding[key] = None if row is None else _fund(row)
        return {
            "year": self.year,
            "project_name": text(self.project),
            "department": text(self.department),
            "implementing_unit": text(self.unit),
            "amount_unit": self.amount_unit,
            "funding": funding,
            "goal_expected": text("".join(self.goals_expected)) if self.goals_expected else None,
            "goal_actual": text("".join(self.goals_actual)) if self.goals_actual else None,
            "indicators": [
                {
                    "level1": strip_weight(i.l1),
                    "level2": i.l2,
                    "name": text(i.name),
                    "target": text(i.target_text()),
                    "actual": text(i.actual),
                    "weight": dec(i.weight),
                    "score": dec(i.score),
                    "deviation": text(i.dev),
                }
                for i in self.indicators
            ],
            "total_weight": dec(self.total_weight),
            "total_score": dec(self.total_score),
            "grade": self.grade,
        }


def _fund(row: Fund) -> dict[str, Any]:
    return {
        "initial_budget": dec(row.initial),
        "annual_budget": dec(row.annual),
        "executed": dec(row.executed),
        "weight": dec(row.weight),
        "execution_rate": dec(row.rate),
        "score": dec(row.score),
    }


def dec(printed: str | None) -> str | None:
    """A printed number as the contract's decimal string."""
    if printed is None or printed.strip() in NULLS:
        return None
    value = printed.strip().replace(",", "").replace("%", "")
    Decimal(value)  # a typo in a record fails here, not in a test
    return value


def text(printed: str | None) -> str | None:
    if printed is None or printed.strip() in NULLS:
        return None
    return re.sub(r"\s*\n\s*", "", printed).strip()


def strip_weight(label: str) -> str:
    """``产出指标(50分)`` is the label 产出指标 (SCHEMA.md)."""
    return re.sub(r"[（(]\s*\d+(\.\d+)?\s*分\s*[)）]$", "", label.replace("\n", "")).strip()


# ---------------------------------------------------------------- arithmetic helpers


def fmt(value: Decimal | str | int, places: int = 2, sep: bool = False) -> str:
    q = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:,.{places}f}" if sep else f"{q:.{places}f}"


def rate(executed: str, budget: str, places: int = 2, percent: bool = True) -> str:
    """执行率 as a form prints it."""
    e, b = Decimal(executed.replace(",", "")), Decimal(budget.replace(",", ""))
    r = e / b * 100 if b else Decimal(0)
    return fmt(r, places) + ("%" if percent else "")


def fscore(weight: str, printed_rate: str, places: int = 2) -> str:
    """资金得分 = 分值 × min(执行率, 100) / 100."""
    r = min(Decimal(printed_rate.replace("%", "")), Decimal(100))
    return fmt(Decimal(weight) * r / 100, places)


def total(form: Form, places: int = 2, funding_score: bool = True) -> str:
    """总分得分 = 资金得分 + Σ 指标得分, printed to ``places``."""
    s = sum((Decimal(i.score.replace(",", "")) for i in form.indicators if dec(i.score)), Decimal(0))
    if funding_score and form.funding.get("total") and dec(form.funding["total"].score):
        s += Decimal(form.funding["total"].score or "0")
    return fmt(s, places)


def grade_of(score: str) -> str:
    s = Decimal(score)
    return "优" if s >= 90 else "良" if s >= 80 else "中" if s >= 60 else "差"


def num(printed: str) -> Decimal:
    return Decimal(printed.replace(",", "").replace("%", "") or "0")


def minus(a: str, b: str) -> str:
    """a − b printed in a's style (places, thousands separators)."""
    places = len(a.split(".")[1]) if "." in a else 0
    return fmt(num(a) - num(b), places, "," in a)
