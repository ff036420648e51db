"""``--backend hybrid``: rules first, the LLM only where the rules fall short.

A form goes to the LLM (``settings.hybrid_route``) when

- ``errors``: the rules record has an error finding (its own, or from the
  checks), or
- ``errors+unread`` (default): that, or the rules could not read a cell
  (``*_unread``, ``unreadable_number``), or
- ``all``: always.

Both records are checked. Per field the value that makes the checks pass is
kept: starting from the rules record, each field the LLM read differently is
taken from the LLM when that lowers the number of error findings (or when the
rules read nothing there); if all those LLM values together check better
still, they all are. Only a value the form prints, in a cell the rules do not
read as another field, may replace the rules' value: a null, an invented
number, or the 分值 cell read again as 得分 would make the checks pass by
hiding what the document says. Every field where the two backends disagree
gets a ``backend_disagreement`` warning (printed = the rules value, expected
= the LLM value, the message says which was kept), so a reviewer sees it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from crossfoot.check import run_checks
from crossfoot.errors import LLMError, LLMUnavailableError
from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.llm.align import UNALIGNED
from crossfoot.extract.llm.extractor import FormKey, LLMExtractor, Outcome, form_key
from crossfoot.extract.llm.usage import price
from crossfoot.extract.tables import TemplateExtractor
from crossfoot.extract.values import normalize_for_compare
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, Finding, Provenance, Record, Severity, set_field
from crossfoot.segment import FormSlice
from crossfoot.settings import Settings

__all__ = ["DISAGREEMENT", "HybridExtractor", "merge_results", "route_reasons"]

DISAGREEMENT = "backend_disagreement"
LLM_FAILED = "llm_failed"
_UNREAD_CODES = ("unreadable_number",)


def route_reasons(rules: ExtractionResult, route: str) -> list[str]:
    """Why a form should go to the LLM (finding codes); empty: it need not."""
    if route == "all":
        return ["all"]
    findings = list(rules.findings)
    if rules.record is not None:
        findings += run_checks(rules.record)
    else:
        return ["no_record"]
    reasons = {f.code for f in findings if f.severity is Severity.error}
    if "unread" in route:
        reasons |= {f.code for f in rules.findings if f.code.endswith("_unread") or f.code in _UNREAD_CODES}
    return sorted(reasons)


def _error_count(record: Record) -> int:
    return sum(1 for f in run_checks(record) if f.severity is Severity.error)


def _leaves(record: Record) -> Iterator[tuple[str, Any]]:
    """(path, value) for every field a reviewer would compare; a funding row
    printed by one backend only, and indicator lists of different lengths,
    are single units."""
    for name in Record.model_fields:
        if name == "funding":
            for row_name in FUNDING_ROWS:
                row = getattr(record.funding, row_name)
                yield f"funding.{row_name}", row is not None
                if row is not None:
                    for column in FUNDING_COLUMNS:
                        yield f"funding.{row_name}.{column}", getattr(row, column)
        elif name == "indicators":
            yield "indicators", len(record.indicators)
            for i, indicator in enumerate(record.indicators):
                for field in type(indicator).model_fields:
                    yield f"indicators.{i}.{field}", getattr(indicator, field)
        else:
            yield name, getattr(record, name)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return normalize_for_compare(a) == normalize_for_compare(b)
    return bool(a == b)


def _units(rules: Record, llm: Record) -> list[str]:
    """The fields to decide one by one."""
    left, right = dict(_leaves(rules)), dict(_leaves(llm))
    units: list[str] = []
    for path in dict.fromkeys([*left, *right]):
        if any(_under(path, unit) for unit in units):
            continue  # inside a row or a list already decided whole
        if path == "indicators" or (path.startswith("funding.") and path.count(".") == 1):
            if left.get(path) != right.get(path):  # shape differs: one unit
                units.append(path)
        elif path in left and path in right and not _same(left[path], right[path]):
            units.append(path)
    return units


def _value(record: Record, path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else getattr(node, part)
    return node


def _take(record: Record, source: Record, path: str) -> Record:
    candidate = record.model_copy(deep=True)
    set_field(candidate, path, copy.deepcopy(_value(source, path)))
    return candidate


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return f"{len(value)} rows"
    if hasattr(value, "model_dump_json"):
        return str(value.model_dump_json())
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _cells(provenance: Provenance, unit: str) -> set[tuple[int, int | None]]:
    return {(s.line, s.column) for p, spans in provenance.items() if _under(p, unit) for s in spans}


def _printed(rules: ExtractionResult, llm: ExtractionResult, unit: str, unaligned: set[str]) -> bool:
    """May the LLM's value for ``unit`` replace the rules'? Only a value the
    form prints, in a cell the rules do not read as another field: a null, a
    number the model made up, or the 分值 cell read again as 得分 could make
    the checks pass by hiding what the document says."""
    assert llm.record is not None
    value = _value(llm.record, unit)
    if value is None or value == []:
        return False
    if unit.endswith((".level1", ".level2")):
        return True  # carried down from merged cells; the hierarchy validated it
    cells = _cells(llm.provenance, unit)
    if not cells or any(_under(p, unit) for p in unaligned):
        return False
    others = {(s.line, s.column) for p, spans in rules.provenance.items() if not _under(p, unit) for s in spans}
    return not cells & others


def merge_results(rules: ExtractionResult, llm: ExtractionResult) -> ExtractionResult:
    """One record from two readings; see the module docstring."""
    assert rules.record is not None and llm.record is not None
    unaligned = {f.fields[0] for f in llm.findings if f.code == UNALIGNED and f.fields}
    units = _units(rules.record, llm.record)
    eligible = [u for u in units if _printed(rules, llm, u, unaligned)]
    merged = rules.record.model_copy(deep=True)
    errors = _error_count(merged)
    taken: list[str] = []
    for unit in eligible:
        candidate = _take(merged, llm.record, unit)
        candidate_errors = _error_count(candidate)
        unread = _value(rules.record, unit) is None
        if candidate_errors < errors or (candidate_errors == errors and unread):
            merged, errors = candidate, candidate_errors
            taken.append(unit)
    together = rules.record.model_copy(deep=True)
    for unit in eligible:  # fields that only check out together
        together = _take(together, llm.record, unit)
    together_errors = _error_count(together)
    if together_errors < errors:
        merged, errors, taken = together, together_errors, list(eligible)
    provenance: Provenance = {p: s for p, s in rules.provenance.items() if not any(_under(p, t) for t in taken)}
    provenance.update({p: s for p, s in llm.provenance.items() if any(_under(p, t) for t in taken)})
    findings = [
        f for f in rules.findings if not f.fields or not all(any(_under(x, t) for t in taken) for x in f.fields)
    ]
    findings += [f for f in llm.findings if any(_under(x, t) for x in f.fields for t in taken)]
    for unit in units:
        kept = "kept the LLM's value" if unit in taken else "kept the rules' value"
        if unit not in eligible:
            kept += " (the LLM's is not printed in the form, or not in a cell of its own)"
        findings.append(
            Finding(
                code=DISAGREEMENT,
                severity=Severity.warning,
                message=f"rules and LLM read {unit} differently; {kept}",
                fields=[unit],
                printed=_shown(_value(rules.record, unit)),
                expected=_shown(_value(llm.record, unit)),
            )
        )
    meta = {
        **llm.meta,
        "backend": "hybrid",
        "fields_from_llm": taken,
        "check_errors": {"rules": _error_count(rules.record), "llm": _error_count(llm.record), "merged": errors},
    }
    return ExtractionResult(record=merged, provenance=provenance, findings=findings, meta=meta)


_NOT_ROUTED = {"routed": False, "llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": "0"}


class HybridExtractor:
    """Rules for every form; the LLM for the forms ``route_reasons`` names."""

    name = "hybrid"

    def __init__(self, settings: Settings, *, llm: LLMExtractor | None = None) -> None:
        self.settings = settings
        self.rules = TemplateExtractor(settings.lexicon)
        self._llm = llm  # built on first need: a batch the rules settle never imports openai
        self._rules_ready: dict[FormKey, ExtractionResult] = {}  # until the form's own turn
        self._llm_ready: dict[FormKey, Outcome] = {}
        self._routes: dict[FormKey, list[str]] = {}
        self.on_llm_form_done: Callable[[FormSlice, Outcome], None] | None = None  # progress, for the CLI
        self.forms = 0
        self.routed = 0

    @property
    def llm(self) -> LLMExtractor:
        if self._llm is None:
            self._llm = LLMExtractor(self.settings)
            self._llm.on_form_done = self.on_llm_form_done
        return self._llm

    def _reasons(self, form: FormSlice, siblings: list[FormSlice]) -> list[str]:
        key = form_key(form)
        if key not in self._routes:
            rules = self.rules.extract(form, siblings)
            self._rules_ready[key] = rules
            self._routes[key] = route_reasons(rules, self.settings.hybrid_route)
        return self._routes[key]

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        key = form_key(form)
        document = siblings or [form]
        reasons = self._reasons(form, document)
        # read ahead with the siblings; read again if this form comes round twice
        rules = self._rules_ready.pop(key, None) or self.rules.extract(form, document)
        routed_here = sum(1 for s in document if self._reasons(s, document))
        base: dict[str, Any] = {
            "backend": "hybrid",
            "routed_in_document": [routed_here, len(document)],
            "route_reasons": reasons,
        }
        self.forms += 1
        if not reasons:
            meta = {**rules.meta, **base, **_NOT_ROUTED, "cached": False, "llm_source": None}
            return rules.model_copy(update={"meta": meta})
        self.routed += 1
        if key not in self._llm_ready:
            # this document's routed forms go to the LLM together
            batch = [s for s in document if self._reasons(s, document) and form_key(s) not in self._llm_ready]
            self._llm_ready.update(self.llm.extract_many(batch))
        outcome = self._llm_ready.pop(key)
        base["routed"] = True
        if isinstance(outcome, LLMUnavailableError):
            raise outcome
        if isinstance(outcome, Exception):
            return self._fallback(rules, outcome, base)
        if outcome.record is None or rules.record is None:
            return outcome.model_copy(update={"meta": {**outcome.meta, **base}})
        merged = merge_results(rules, outcome)
        return merged.model_copy(update={"meta": {**merged.meta, **base}})

    def _fallback(self, rules: ExtractionResult, error: Exception, base: dict[str, Any]) -> ExtractionResult:
        """The LLM failed on this form: keep the rules record, say so."""
        spent = error if isinstance(error, LLMError) else LLMError(str(error))
        finding = Finding(
            code=LLM_FAILED,
            severity=Severity.warning,
            message=f"the LLM could not read this form ({error}); the rules' record is kept",
        )
        meta = {
            **rules.meta,
            **base,
            "llm_error": str(error),
            "error_type": type(error).__name__,
            "llm_calls": spent.n_attempts,
            "prompt_tokens": spent.prompt_tokens,
            "completion_tokens": spent.completion_tokens,
            "cost": str(price(spent.prompt_tokens, spent.completion_tokens, self.settings)),
            "cached": False,
            "llm_source": self.llm.client.source,
        }
        return rules.model_copy(update={"findings": [*rules.findings, finding], "meta": meta})

    def summary(self) -> dict[str, Any]:
        """Run totals for the CLI: forms seen, forms routed, and the LLM's bill."""
        llm = self._llm.summary() if self._llm is not None else {}
        fraction = f"{self.routed / self.forms:.3f}" if self.forms else "0"
        return {"forms": self.forms, "routed": self.routed, "routed_fraction": fraction, "llm": llm}
