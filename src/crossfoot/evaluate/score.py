"""Field-level scoring of one predicted record against its gold record.

Numbers are equal as numbers ("10" == "10.00"); text is equal after
SCHEMA.md's normalisation (NFKC, whitespace, tags). A gold value's listed
alternatives are accepted too. A form or row the backend missed counts as
wrong in every gold field it has.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from crossfoot.evaluate.match import align_rows
from crossfoot.extract.values import normalize_for_compare
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, INDICATOR_FIELDS, RECORD_SCALARS

__all__ = [
    "NUMERIC_KINDS",
    "FieldResult",
    "FormScore",
    "field_kind",
    "flatten",
    "score_form",
    "values_equal",
]

NUMERIC_KINDS = frozenset(
    {"total_weight", "total_score", "indicators.*.weight", "indicators.*.score"}
    | {f"funding.{r}.{c}" for r in FUNDING_ROWS for c in FUNDING_COLUMNS}
)


def field_kind(path: str) -> str:
    """`indicators.3.score` -> `indicators.*.score`: the per-field bucket."""
    parts = path.split(".")
    return ".".join("*" if p.isdigit() else p for p in parts)


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Every scored leaf of a contract record, by path (indicators excluded)."""
    flat = {name: record.get(name) for name in RECORD_SCALARS}
    funding = record.get("funding") or {}
    for row in FUNDING_ROWS:
        values = funding.get(row) or {}
        for column in FUNDING_COLUMNS:
            flat[f"funding.{row}.{column}"] = values.get(column)
    return flat


def _as_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def values_equal(gold: Any, predicted: Any, *, numeric: bool) -> bool:
    """SCHEMA.md equality: numbers as numbers, text normalised, null is null."""
    if gold is None or predicted is None:
        if numeric:
            return gold is None and predicted is None
        return normalize_for_compare(_text(gold)) == normalize_for_compare(_text(predicted))
    if numeric or isinstance(gold, int):
        left, right = _as_decimal(gold), _as_decimal(predicted)
        if left is not None and right is not None:
            return left == right
    return normalize_for_compare(_text(gold)) == normalize_for_compare(_text(predicted))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class FieldResult(BaseModel):
    """One gold field, scored."""

    path: str
    kind: str
    gold: Any
    predicted: Any
    correct: bool
    numeric: bool


class FormScore(BaseModel):
    """Everything scored for one gold form."""

    gold_name: str
    fields: list[FieldResult]
    gold_rows: int
    predicted_rows: int
    matched_rows: int
    found: bool
    row_pairs: list[tuple[int, int]] = []

    @property
    def all_correct(self) -> bool:
        return self.found and all(f.correct for f in self.fields) and self.predicted_rows == self.gold_rows


def _accepts(gold: Any, predicted: Any, alternatives: list[Any], numeric: bool) -> bool:
    return any(values_equal(g, predicted, numeric=numeric) for g in [gold, *alternatives])


def score_form(
    gold_name: str,
    gold: dict[str, Any],
    predicted: dict[str, Any] | None,
    alternatives: dict[str, list[Any]] | None = None,
) -> FormScore:
    """Score one form; ``predicted`` None means the backend missed it."""
    alternatives = alternatives or {}
    results: list[FieldResult] = []
    flat_gold = flatten(gold)
    flat_pred = flatten(predicted) if predicted is not None else {}
    for path, gold_value in flat_gold.items():
        kind = field_kind(path)
        numeric = kind in NUMERIC_KINDS
        pred_value = flat_pred.get(path)
        correct = predicted is not None and _accepts(gold_value, pred_value, alternatives.get(path, []), numeric)
        results.append(
            FieldResult(path=path, kind=kind, gold=gold_value, predicted=pred_value, correct=correct, numeric=numeric)
        )

    gold_rows: list[dict[str, Any]] = gold.get("indicators") or []
    pred_rows: list[dict[str, Any]] = (predicted or {}).get("indicators") or []
    pairs = dict(align_rows(gold_rows, pred_rows)) if predicted is not None else {}
    for gi, gold_row in enumerate(gold_rows):
        pi = pairs.get(gi)
        pred_row = pred_rows[pi] if pi is not None else None
        for name in INDICATOR_FIELDS:
            path = f"indicators.{gi}.{name}"
            kind = field_kind(path)
            numeric = kind in NUMERIC_KINDS
            pred_value = pred_row.get(name) if pred_row is not None else None
            correct = pred_row is not None and _accepts(
                gold_row.get(name), pred_value, alternatives.get(path, []), numeric
            )
            results.append(
                FieldResult(
                    path=path,
                    kind=kind,
                    gold=gold_row.get(name),
                    predicted=pred_value,
                    correct=correct,
                    numeric=numeric,
                )
            )
    return FormScore(
        gold_name=gold_name,
        fields=results,
        gold_rows=len(gold_rows),
        predicted_rows=len(pred_rows),
        matched_rows=len(pairs),
        found=predicted is not None,
        row_pairs=sorted(pairs.items()),
    )
