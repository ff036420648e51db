"""The hybrid backend: routing, per-field merging, and a replayed run over samples/."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.extract.llm.llm_support import ROOT, Recorded, ScriptedEndpoint, base_settings, completion
from tests.forms import HEAD, form_text

from crossfoot.check import run_checks
from crossfoot.errors import LLMUnavailableError
from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.hybrid import DISAGREEMENT, HybridExtractor, merge_results, route_reasons
from crossfoot.extract.llm.align import align_record
from crossfoot.extract.llm.usage import summary_line
from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest.text import document_from_text
from crossfoot.model import Record, Severity
from crossfoot.pipeline import process_path
from crossfoot.segment import FormSlice, split_forms

EVAL_CASSETTE = ROOT / "cassettes" / "eval" / "hybrid_samples.yaml"
#: what the eval cassette was recorded with (cassettes/README.md); replay must send the same requests
EVAL_RECORDED_WITH = {"llm_max_output_tokens": 512, "llm_max_retries": 1}


def _form(text: str) -> tuple[FormSlice, list[FormSlice]]:
    forms = split_forms(document_from_text(text, path="t.txt", sha256="0" * 64, encoding="utf-8"))
    return forms[0], forms


def _rules(text: str) -> ExtractionResult:
    form, forms = _form(text)
    return RulesExtractor().extract(form, forms)


def _errors(record: Record | None) -> int:
    assert record is not None
    return sum(f.severity is Severity.error for f in run_checks(record))


def test_a_clean_form_is_not_routed() -> None:
    assert route_reasons(_rules(form_text()), "errors+unread") == []


def test_a_form_with_an_error_finding_is_routed() -> None:
    rules = _rules(form_text(total="总分\t\t\t\t\t\t100\t99\t\n"))
    assert route_reasons(rules, "errors") == ["total_score_mismatch"]


def test_unread_cells_route_only_when_asked() -> None:
    rules = _rules(form_text(head=HEAD.replace("(2022 年度)", "")))
    assert route_reasons(rules, "errors") == []
    assert route_reasons(rules, "errors+unread") == ["year_unread"]
    assert route_reasons(_rules(form_text()), "all") == ["all"]


def _llm_reading(record: Record, text: str) -> ExtractionResult:
    """What a model that read ``record`` from this form yields after alignment."""
    form, _ = _form(text)
    provenance, findings = align_record(record, form)
    return ExtractionResult(record=record, provenance=provenance, findings=findings, meta={"llm_calls": 1})


def test_per_field_the_value_that_makes_the_checks_pass_wins() -> None:
    text = form_text()
    rules = _rules(text)
    assert rules.record is not None and _errors(rules.record) == 0
    # the rules misread one score (as an OCR slip would); the LLM read it right
    misread = rules.model_copy(deep=True)
    assert misread.record is not None
    misread.record.indicators[1].score = Decimal("2")
    merged = merge_results(misread, _llm_reading(rules.record.model_copy(deep=True), text))

    assert merged.record == rules.record
    assert _errors(merged.record) == 0
    assert merged.meta["fields_from_llm"] == ["indicators.1.score"]
    assert merged.meta["check_errors"]["rules"] > 0 and merged.meta["check_errors"]["merged"] == 0
    (disagreement,) = [f for f in merged.findings if f.code == DISAGREEMENT]
    assert disagreement.severity is Severity.warning
    assert disagreement.fields == ["indicators.1.score"]
    assert (disagreement.printed, disagreement.expected) == ("2", "20")
    assert "kept the LLM's value" in disagreement.message
    assert merged.provenance["indicators.1.score"][0].raw == "20"


def test_an_llm_value_that_breaks_the_checks_is_not_taken() -> None:
    text = form_text()
    rules = _rules(text)
    assert rules.record is not None
    wrong = rules.record.model_copy(deep=True)
    wrong.total_score = Decimal("90")
    merged = merge_results(rules, _llm_reading(wrong, text))
    assert merged.record == rules.record
    assert merged.meta["fields_from_llm"] == []
    (disagreement,) = [f for f in merged.findings if f.code == DISAGREEMENT]
    assert (disagreement.fields, disagreement.printed, disagreement.expected) == (["total_score"], "100", "90")
    assert "kept the rules' value" in disagreement.message


def test_dropping_a_printed_number_never_passes_for_a_fix() -> None:
    # the document's own arithmetic is wrong (总分 prints 99); a model that
    # answers null, or reads the 分值 cell (100) again as 得分, would make the
    # checks pass — and hide what the document says
    text = form_text(total="总分\t\t\t\t\t\t100\t99\t\n")
    rules = _rules(text)
    assert rules.record is not None and _errors(rules.record) == 1
    for answer in (None, Decimal("100"), Decimal("98")):
        llm = rules.record.model_copy(deep=True)
        llm.total_score = answer
        merged = merge_results(rules, _llm_reading(llm, text))
        assert merged.record is not None and merged.record.total_score == Decimal("99"), answer
        assert merged.meta["fields_from_llm"] == [] and merged.meta["check_errors"]["merged"] == 1
        (disagreement,) = [f for f in merged.findings if f.code == DISAGREEMENT]
        assert "not printed in the form, or not in a cell of its own" in disagreement.message


def test_a_value_the_rules_could_not_read_comes_from_the_llm() -> None:
    text = form_text(head=HEAD.replace("(2022 年度)", "(2022年度)").replace("某区科学技术委员会", "某区科委"))
    rules = _rules(text)
    assert rules.record is not None
    unread = rules.model_copy(deep=True)
    assert unread.record is not None
    unread.record.department = None
    merged = merge_results(unread, _llm_reading(rules.record.model_copy(deep=True), text))
    assert merged.record is not None and merged.record.department == "某区科委"
    assert merged.meta["fields_from_llm"] == ["department"]


def test_indicator_lists_of_different_length_are_one_decision() -> None:
    text = form_text()
    rules = _rules(text)
    assert rules.record is not None
    shorter = rules.record.model_copy(deep=True)
    del shorter.indicators[-1]
    merged = merge_results(rules, _llm_reading(shorter, text))
    (disagreement,) = [f for f in merged.findings if f.code == DISAGREEMENT]
    assert disagreement.fields == ["indicators"]
    assert (disagreement.printed, disagreement.expected) == ("6 rows", "5 rows")
    assert merged.record == rules.record


def test_a_batch_the_rules_settle_needs_no_llm(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, llm_api_key=None)
    form, forms = _form(form_text())
    result = HybridExtractor(settings).extract(form, forms)
    assert result.meta["routed"] is False and result.meta["llm_calls"] == 0
    assert result.meta["llm_source"] is None


def test_a_routed_form_without_a_key_is_unavailable(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, llm_api_key=None)
    form, forms = _form(form_text(total="总分\t\t\t\t\t\t100\t99\t\n"))
    with pytest.raises(LLMUnavailableError, match="no API key"):
        HybridExtractor(settings).extract(form, forms)


@pytest.fixture
def endpoint() -> Iterator[ScriptedEndpoint]:
    served = ScriptedEndpoint([(200, {}, completion('{"total_score": "很多"}'), 0.0)])
    yield served
    served.close()


def test_when_the_llm_fails_the_rules_record_stays(tmp_path: Path, endpoint: ScriptedEndpoint) -> None:
    settings = base_settings(tmp_path, llm_base_url=endpoint.url, llm_model="scripted", llm_max_retries=1)
    text = form_text(total="总分\t\t\t\t\t\t100\t99\t\n")
    form, forms = _form(text)
    result = HybridExtractor(settings).extract(form, forms)
    assert result.record == _rules(text).record
    failed = [f for f in result.findings if f.code == "llm_failed"]
    assert len(failed) == 1 and "no valid answer after 2 call(s)" in failed[0].message
    assert result.meta["routed"] is True and result.meta["error_type"] == "LLMError"
    assert result.meta["llm_calls"] == 2 and len(endpoint.requests) == 2
    assert Decimal(result.meta["cost"]) > 0


def test_replayed_hybrid_run_over_samples(tmp_path: Path) -> None:
    """The eval cassette: a hybrid run over samples/, answers from the local
    base model (poor by design: this checks routing and bookkeeping)."""
    settings = base_settings(tmp_path, llm_cassette=EVAL_CASSETTE, **EVAL_RECORDED_WITH)
    hybrid = HybridExtractor(settings)
    envelopes = [
        e for path in sorted((ROOT / "samples").glob("*.txt")) for e in process_path(path, hybrid, settings)[1]
    ]
    recorded = Recorded.load(EVAL_CASSETTE)

    rules = RulesExtractor()
    expected_routed = set()
    for path in sorted((ROOT / "samples").glob("*.txt")):
        _, rules_envelopes = process_path(path, rules, settings)
        expected_routed |= {
            (e.source.path, e.source.form_index)
            for e in rules_envelopes
            if any(f.severity is Severity.error or f.code.endswith("_unread") for f in e.findings)
        }
    routed = {(e.source.path, e.source.form_index) for e in envelopes if e.meta["routed"]}
    assert routed == expected_routed and 0 < len(routed) < len(envelopes)
    assert all(e.error is None and e.record is not None for e in envelopes)  # an LLM failure keeps the rules record
    for envelope in envelopes:
        meta = envelope.meta
        assert {"llm_calls", "prompt_tokens", "completion_tokens", "cost", "cached", "routed", "llm_source"} <= set(
            meta
        )
        assert meta["llm_source"] == ("replay" if meta["routed"] else None)
    assert sum(e.meta["llm_calls"] for e in envelopes) == len(recorded.requests)
    spent = (sum(e.meta["prompt_tokens"] for e in envelopes), sum(e.meta["completion_tokens"] for e in envelopes))
    assert spent == recorded.usage()
    summary = hybrid.summary()
    assert (summary["forms"], summary["routed"]) == (len(envelopes), len(routed))
    assert summary["routed_fraction"] == f"{len(routed) / len(envelopes):.3f}"
    assert summary["llm"]["llm_source"] == "replay"
    assert "REPLAYED from a cassette" in summary_line(summary)


def test_the_same_form_twice_reads_the_same(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, llm_api_key=None)
    form, forms = _form(form_text())
    hybrid = HybridExtractor(settings)
    first, second = hybrid.extract(form, forms), hybrid.extract(form, forms)
    assert first == second and hybrid.forms == 2
