"""Aggregate FormScores into the metrics every report and gate uses."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field

from crossfoot.evaluate.score import FormScore

__all__ = ["BackendMetrics", "FieldStat", "aggregate"]


class FieldStat(BaseModel):
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0


class BackendMetrics(BaseModel):
    """One backend on one fixture set."""

    backend: str
    fixtures: str
    input_kind: str
    template: str | None = Field(None, description="the zoo template id, when scored per template × input kind")
    forms: int
    forms_found: int
    forms_all_correct: int
    micro: float = Field(description="correct gold fields / all gold fields")
    numeric: float = Field(description="accuracy over numeric cells")
    text: float
    rows_precision: float
    rows_recall: float
    rows_f1: float
    per_field: dict[str, FieldStat]
    review_fraction: float = Field(0.0, description="forms routed to review (any error finding)")
    review_capture: float = Field(1.0, description="share of field errors inside routed forms")
    wall_seconds: float = 0.0
    llm_forms: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    llm_source: list[str] = Field(default_factory=list, description="live / replay / cache")

    @property
    def cell(self) -> str:
        """``input_kind``, or ``template/input_kind`` for a zoo cell."""
        return f"{self.template}/{self.input_kind}" if self.template else self.input_kind

    def gate_values(self) -> dict[str, float]:
        """The metrics thresholds may name."""
        return {
            "micro": self.micro,
            "numeric": self.numeric,
            "text": self.text,
            "rows_f1": self.rows_f1,
            "forms_all_correct": self.forms_all_correct / self.forms if self.forms else 1.0,
        }


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def aggregate(
    scores: list[FormScore],
    *,
    backend: str,
    fixtures: str,
    input_kind: str,
    routed: set[str],
    template: str | None = None,
) -> BackendMetrics:
    """Micro / numeric / per-field accuracy, row P/R/F1, review budget."""
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    numeric = [0, 0]
    text = [0, 0]
    errors_total = errors_routed = 0
    for score in scores:
        for result in score.fields:
            bucket = per_field[result.kind]
            bucket[1] += 1
            target = numeric if result.numeric else text
            target[1] += 1
            if result.correct:
                bucket[0] += 1
                target[0] += 1
            else:
                errors_total += 1
                errors_routed += score.gold_name in routed
    correct = numeric[0] + text[0]
    total = numeric[1] + text[1]
    matched = sum(s.matched_rows for s in scores)
    precision = _ratio(matched, sum(s.predicted_rows for s in scores))
    recall = _ratio(matched, sum(s.gold_rows for s in scores))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BackendMetrics(
        backend=backend,
        fixtures=fixtures,
        input_kind=input_kind,
        template=template,
        forms=len(scores),
        forms_found=sum(s.found for s in scores),
        forms_all_correct=sum(s.all_correct for s in scores),
        micro=_ratio(correct, total),
        numeric=_ratio(*numeric),
        text=_ratio(*text),
        rows_precision=precision,
        rows_recall=recall,
        rows_f1=f1,
        per_field={k: FieldStat(correct=v[0], total=v[1]) for k, v in sorted(per_field.items())},
        review_fraction=_ratio(len(routed), len(scores)) if scores else 0.0,
        review_capture=_ratio(errors_routed, errors_total),
    )
