"""Run a backend over a fixture set and score it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from crossfoot.check import has_errors
from crossfoot.errors import CrossfootError, LLMUnavailableError, RecordError
from crossfoot.evaluate.gold import GoldForm, load_gold
from crossfoot.evaluate.match import match_forms
from crossfoot.evaluate.metrics import BackendMetrics, aggregate
from crossfoot.evaluate.score import FormScore, score_form
from crossfoot.extract.base import Extractor
from crossfoot.ingest import load_document
from crossfoot.model import Envelope
from crossfoot.pipeline import process_document
from crossfoot.settings import Settings

__all__ = ["FixtureRun", "Miss", "evaluate_fixtures", "evaluate_folder"]


class Miss(BaseModel):
    """One wrong field, with what a reviewer needs to see why."""

    fixture: str
    source_file: str
    path: str
    gold: Any
    predicted: Any
    source_line: int | None = None
    source_text: str | None = None
    alternatives: list[Any] = []


class FixtureRun(BaseModel):
    """Everything one backend produced on one fixture set."""

    metrics: BackendMetrics
    misses: list[Miss]
    failures: list[str]


def _input_kind(gold: list[GoldForm]) -> str:
    kinds = {g.kind for g in gold}
    if len(kinds) == 1 and None not in kinds:
        return str(kinds.pop())
    suffixes = {Path(g.source_file).suffix.lower() for g in gold}
    if suffixes <= {".pdf"}:
        return "pdf"
    if suffixes & {".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
        return "scan"
    return "text"


def _source_line(
    envelope: Envelope | None, path: str, score: FormScore, lines: dict[int, str]
) -> tuple[int | None, str | None]:
    if envelope is None:
        return None, None
    predicted_path = path
    if path.startswith("indicators."):
        _, index, field = path.split(".")
        mapping = dict(score.row_pairs)
        if int(index) not in mapping:
            return None, None
        predicted_path = f"indicators.{mapping[int(index)]}.{field}"
    spans = envelope.provenance.get(predicted_path) or envelope.provenance.get(
        predicted_path.rsplit(".", 1)[0] + ".name"
    )
    if not spans:
        return None, None
    number = spans[0].line
    return number, lines.get(number)


def evaluate_fixtures(
    fixtures: Path,
    extractor: Extractor,
    settings: Settings,
    root: Path,
) -> FixtureRun:
    """Run ``extractor`` on every source the fixtures name; score field by field."""
    gold = load_gold(fixtures)
    return _evaluate_gold(gold, str(fixtures), extractor, settings, root)


def evaluate_folder(
    fixtures: Path,
    extractor: Extractor,
    settings: Settings,
    root: Path,
    *,
    templates: set[str] | None = None,
    kinds: set[str] | None = None,
) -> list[FixtureRun]:
    """Like :func:`evaluate_fixtures`, but a template zoo (gold with ``_template``)
    is scored per cell: one run per (template, input kind), in sorted order,
    limited to ``templates`` / ``kinds`` when given."""
    gold = load_gold(fixtures)
    if all(g.template is None for g in gold):
        return [_evaluate_gold(gold, str(fixtures), extractor, settings, root)]
    cells: dict[tuple[str, str], list[GoldForm]] = {}
    for form in gold:
        template, kind = form.template or "unknown", form.kind or _input_kind([form])
        if (templates and template not in templates) or (kinds and kind not in kinds):
            continue
        cells.setdefault((template, kind), []).append(form)
    if not cells:
        raise RecordError("no zoo fixture matches the --template / --kind filter", path=fixtures)
    return [
        _evaluate_gold(forms, str(fixtures), extractor, settings, root, template=template)
        for (template, _kind), forms in sorted(cells.items())
    ]


def _evaluate_gold(
    gold: list[GoldForm],
    label: str,
    extractor: Extractor,
    settings: Settings,
    root: Path,
    template: str | None = None,
) -> FixtureRun:
    by_file: dict[str, list[GoldForm]] = {}
    for form in gold:
        by_file.setdefault(form.source_file, []).append(form)
    scores: list[FormScore] = []
    misses: list[Miss] = []
    failures: list[str] = []
    routed: set[str] = set()
    envelopes_seen: list[Envelope] = []
    started = time.perf_counter()
    for source_file, forms in sorted(by_file.items()):
        envelopes: list[Envelope] = []
        lines: dict[int, str] = {}
        try:
            document = load_document(root / source_file, settings)
            lines = {line.number: line.text for line in document.lines}
            envelopes = process_document(document, extractor, settings.ocr_min_confidence)
        except LLMUnavailableError:
            raise
        except CrossfootError as exc:
            failures.append(str(exc))
        envelopes_seen.extend(envelopes)
        usable = [e for e in envelopes if e.record is not None]
        pairs = dict(
            match_forms(
                [str(g.record.get("project_name") or "") for g in forms],
                [e.record.project_name for e in usable if e.record is not None],
            )
        )
        for gi, gold_form in enumerate(forms):
            envelope = usable[pairs[gi]] if gi in pairs else None
            predicted = envelope.record.model_dump(mode="json") if envelope and envelope.record else None
            score = score_form(gold_form.name, gold_form.record, predicted, gold_form.alternatives)
            scores.append(score)
            if envelope is not None and has_errors(envelope.findings):
                routed.add(gold_form.name)
            for result in score.fields:
                if result.correct:
                    continue
                number, text = _source_line(envelope, result.path, score, lines)
                misses.append(
                    Miss(
                        fixture=gold_form.name,
                        source_file=source_file,
                        path=result.path,
                        gold=result.gold,
                        predicted=result.predicted,
                        source_line=number,
                        source_text=text,
                        alternatives=gold_form.alternatives.get(result.path, []),
                    )
                )
    metrics = aggregate(
        scores, backend=extractor.name, fixtures=label, input_kind=_input_kind(gold), routed=routed, template=template
    )
    metrics.wall_seconds = time.perf_counter() - started
    _add_llm_usage(metrics, envelopes_seen)
    return FixtureRun(metrics=metrics, misses=misses, failures=failures)


def _add_llm_usage(metrics: BackendMetrics, envelopes: list[Envelope]) -> None:
    sources: set[str] = set()
    for envelope in envelopes:
        meta = envelope.meta
        calls = int(meta.get("llm_calls", 0) or 0)
        metrics.llm_forms += calls > 0 or bool(meta.get("routed"))
        metrics.llm_calls += calls
        metrics.prompt_tokens += int(meta.get("prompt_tokens", 0) or 0)
        metrics.completion_tokens += int(meta.get("completion_tokens", 0) or 0)
        metrics.cost += float(meta.get("cost", 0) or 0)
        if meta.get("llm_source"):
            sources.add(str(meta["llm_source"]))
    metrics.llm_source = sorted(sources)
