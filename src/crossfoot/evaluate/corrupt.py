"""Check-detection eval: corrupt gold records one change at a time and ask
whether the checks flag an error.

Whether a corruption is *visible* at all is decided independently of the
checks: by the exact residual of each SCHEMA.md equation before and after
the change. A corruption that moves no residual by more than the printed
rounding unit is arithmetically invisible (e.g. an indicator score raised
together with nothing else is always visible; a digit change in a field no
equation reads is not) and is reported apart, not counted as a miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel

from crossfoot.check import has_errors, run_checks
from crossfoot.check.arithmetic import HUNDRED, grade_for, half_unit
from crossfoot.model import FUNDING_ROWS, Record, get_field, with_field

__all__ = ["CORRUPTION_KINDS", "Corruption", "DetectionReport", "corruptions", "detection_eval", "residuals"]

CORRUPTION_KINDS = (
    "indicator_score",
    "indicator_weight",
    "total_score",
    "execution_rate",
    "executed",
    "funding_score",
    "dropped_row",
    "digit_8_3",
    "digit_1_7",
    "digit_0_6",
    "lost_decimal_point",
)
_DIGIT_SWAPS = {"digit_8_3": ("8", "3"), "digit_1_7": ("1", "7"), "digit_0_6": ("0", "6")}


class Corruption(BaseModel):
    kind: str
    field: str
    before: str | None
    after: str | None


def residuals(record: Record) -> dict[str, tuple[Decimal, Decimal]]:
    """Each equation instance -> (printed − expected, rounding allowance)."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for key in FUNDING_ROWS:
        row = getattr(record.funding, key)
        if row is None:
            continue
        if row.execution_rate is not None and row.executed is not None and row.annual_budget:
            out[f"rate.{key}"] = (
                row.execution_rate - row.executed / row.annual_budget * HUNDRED,
                half_unit(row.execution_rate),
            )
    total = record.funding.total
    if total and total.weight is not None and total.score is not None and total.execution_rate is not None:
        out["funding_score"] = (
            total.score - total.weight * min(total.execution_rate, HUNDRED) / HUNDRED,
            half_unit(total.score),
        )
    scores = [i.score for i in record.indicators if i.score is not None]
    weights = [i.weight for i in record.indicators if i.weight is not None]
    f_score = total.score if total and total.score is not None else Decimal(0)
    f_weight = total.weight if total and total.weight is not None else Decimal(0)
    if record.total_score is not None and len(scores) == len(record.indicators):
        out["total_score"] = (record.total_score - f_score - sum(scores, Decimal(0)), Decimal(0))
    if len(weights) == len(record.indicators):
        reference = record.total_weight if record.total_weight is not None else HUNDRED
        out["total_weight"] = (reference - f_weight - sum(weights, Decimal(0)), Decimal(0))
    if record.total_weight is not None:
        out["weight_100"] = (record.total_weight - HUNDRED, Decimal(0))
    for n, ind in enumerate(record.indicators):
        if ind.score is not None and ind.weight is not None:
            excess = max(Decimal(0), ind.score - ind.weight, -ind.score)
            out[f"range.{n}"] = (excess, Decimal(0))
    if total is not None:
        parts = [getattr(record.funding, k) for k in FUNDING_ROWS[1:]]
        for column in ("initial_budget", "annual_budget", "executed"):
            printed = getattr(total, column)
            values = [getattr(r, column) for r in parts if r is not None and getattr(r, column) is not None]
            if printed is not None and values and any(v != 0 for v in values):
                out[f"breakdown.{column}"] = (printed - sum(values, Decimal(0)), Decimal(0))
    if record.grade in ("优", "良", "中", "差") and record.total_score is not None:
        out["grade"] = (Decimal(record.grade != grade_for(record.total_score)), Decimal(0))
    return out


def _visible(before: Record, after: Record) -> bool:
    old, new = residuals(before), residuals(after)
    zero = (Decimal(0), Decimal(0))
    for name in old.keys() | new.keys():
        # an equation that appears or vanishes counts only if its residual is real
        before_value, before_allow = old.get(name, zero)
        after_value, after_allow = new.get(name, zero)
        if abs(after_value - before_value) > max(before_allow, after_allow):
            return True
    return False


def _numeric_paths(record: Record) -> list[str]:
    paths = ["total_score", "total_weight"]
    for key in FUNDING_ROWS:
        if getattr(record.funding, key) is not None:
            paths += [f"funding.{key}.{c}" for c in ("annual_budget", "executed", "weight", "execution_rate", "score")]
    for n in range(len(record.indicators)):
        paths += [f"indicators.{n}.weight", f"indicators.{n}.score"]
    return [p for p in paths if get_field(record, p) is not None]


def _changed(record: Record, path: str, value: Decimal) -> Record:
    return with_field(record, path, value)


def _bump(value: Decimal) -> Decimal:
    step = Decimal(1) if value.as_tuple().exponent == 0 else Decimal("0.5")
    return value - step if value >= step else value + step


def corruptions(record: Record) -> Iterator[tuple[Corruption, Record]]:
    """Every single-change corruption of one record, deterministically."""
    for n, indicator in enumerate(record.indicators):
        for kind, column in (("indicator_score", "score"), ("indicator_weight", "weight")):
            value = getattr(indicator, column)
            if value is not None:
                path = f"indicators.{n}.{column}"
                new = _bump(value)
                yield (
                    Corruption(kind=kind, field=path, before=str(value), after=str(new)),
                    _changed(record, path, new),
                )
    singles = {
        "total_score": "total_score",
        "execution_rate": "funding.total.execution_rate",
        "executed": "funding.total.executed",
        "funding_score": "funding.total.score",
    }
    for kind, path in singles.items():
        try:
            value = get_field(record, path)
        except KeyError:
            continue
        if value is not None:
            new = _bump(value) if kind != "executed" else value * Decimal("0.9")
            new = new.quantize(value) if kind == "executed" else new
            yield (
                Corruption(kind=kind, field=path, before=str(value), after=str(new)),
                _changed(record, path, new),
            )
    for n in range(len(record.indicators)):
        copy = record.model_copy(deep=True)
        dropped = copy.indicators.pop(n)
        yield Corruption(kind="dropped_row", field=f"indicators.{n}", before=dropped.name, after=None), copy
    for path in _numeric_paths(record):
        text = format(get_field(record, path), "f")
        for kind, (a, b) in _DIGIT_SWAPS.items():
            for i, ch in enumerate(text):
                if ch in (a, b):
                    swapped = text[:i] + (b if ch == a else a) + text[i + 1 :]
                    yield (
                        Corruption(kind=kind, field=path, before=text, after=swapped),
                        _changed(record, path, Decimal(swapped)),
                    )
                    break
        if "." in text:
            lost = text.replace(".", "")
            yield (
                Corruption(kind="lost_decimal_point", field=path, before=text, after=lost),
                _changed(record, path, Decimal(lost)),
            )


class KindStats(BaseModel):
    total: int = 0
    invisible: int = 0
    visible: int = 0
    detected: int = 0

    @property
    def rate(self) -> float:
        return self.detected / self.visible if self.visible else 1.0


class DetectionReport(BaseModel):
    by_kind: dict[str, KindStats]
    clean_records: int
    excluded_records: list[str]
    false_alarms: int
    false_alarm_forms: list[str]
    undetected: list[dict[str, str]]

    @property
    def detection(self) -> float:
        visible = sum(k.visible for k in self.by_kind.values())
        return sum(k.detected for k in self.by_kind.values()) / visible if visible else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.clean_records if self.clean_records else 0.0


def _holds(record: Record) -> bool:
    return all(abs(value) <= allowance + Decimal("0.01") for value, allowance in residuals(record).values())


def detection_eval(records: dict[str, Record]) -> DetectionReport:
    """Detection per corruption kind over gold records whose arithmetic holds."""
    stats = {kind: KindStats() for kind in CORRUPTION_KINDS}
    excluded: list[str] = []
    false_alarm_forms: list[str] = []
    undetected: list[dict[str, str]] = []
    clean = 0
    for name, record in sorted(records.items()):
        if not _holds(record):
            excluded.append(name)  # the document's own arithmetic is broken
            continue
        clean += 1
        if has_errors(run_checks(record)):
            false_alarm_forms.append(name)
        for corruption, corrupted in corruptions(record):
            kind = stats[corruption.kind]
            kind.total += 1
            if not _visible(record, corrupted):
                kind.invisible += 1
                continue
            kind.visible += 1
            if has_errors(run_checks(corrupted)):
                kind.detected += 1
            else:
                undetected.append({"form": name, **corruption.model_dump(exclude_none=True)})
    return DetectionReport(
        by_kind=stats,
        clean_records=clean,
        excluded_records=excluded,
        false_alarms=len(false_alarm_forms),
        false_alarm_forms=false_alarm_forms,
        undetected=undetected,
    )
