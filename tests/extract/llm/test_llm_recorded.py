"""Protocol cases recorded from a real OpenAI-compatible server.

The cassettes come from llama-cpp-python serving gemma3-270m (a base model,
see cassettes/README.md): its answers are poor, so these tests check the
protocol — requests, re-asks, usage, cost, errors — never accuracy.
Re-record (needs that server on 127.0.0.1:18090):

    pytest tests/extract/llm/test_llm_recorded.py --record-mode=rewrite
"""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from tests.extract.llm.llm_support import LLAMA_MODEL, LLAMA_URL, Recorded, Sleeps, base_settings, sample_forms

from crossfoot.errors import BudgetExceededError, LLMError
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.align import UNALIGNED
from crossfoot.extract.llm.client import LLMClient
from crossfoot.extract.llm.models import LLMRecord
from crossfoot.extract.llm.prompt import render_form
from crossfoot.extract.llm.usage import price
from crossfoot.segment import FormSlice
from crossfoot.settings import Settings


@pytest.fixture(autouse=True)
def _server_when_recording(recording: bool) -> None:
    if not recording:
        return
    try:
        urllib.request.urlopen(LLAMA_URL + "/models", timeout=5).close()
    except OSError:
        pytest.fail(f"recording needs the llama-cpp-python server at {LLAMA_URL} (cassettes/README.md)")


def _outcome(extractor: LLMExtractor, form: FormSlice) -> Any:
    """The result, or the LLMError: some recorded answers pass, some do not."""
    try:
        return extractor.extract(form, [form])
    except LLMError as exc:
        return exc


def _extractor(settings: Settings, sleeps: Sleeps | None = None) -> LLMExtractor:
    client = LLMClient(settings, sleep=sleeps) if sleeps is not None else None
    return LLMExtractor(settings, client=client)


def _leaf_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, f"{prefix}{k}.")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, f"{prefix}{i}.")]
    return [] if value is None else [prefix[:-1]]


def _accepted(arguments: str) -> bool:
    try:
        LLMRecord.model_validate_json(arguments, strict=False)
    except ValidationError:
        return False
    return True


def _tool_arguments(response: dict[str, Any]) -> str:
    body = json.loads(response["body"]["string"])
    return str(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])


def test_clean_extraction(tmp_path, cassette, recording, small_form: FormSlice) -> None:
    settings = base_settings(tmp_path, llm_cassette=cassette, llm_cassette_record=recording, llm_max_retries=0)
    extractor = _extractor(settings)
    result = extractor.extract(small_form, [small_form])
    recorded = Recorded.load(cassette)

    assert len(recorded.requests) == 1
    request = recorded.requests[0]
    assert request["model"] == LLAMA_MODEL
    assert request["messages"] == extractor.prompt.messages(render_form(small_form))
    assert request["tools"][0]["function"]["name"] == "LLMRecord"
    assert set(request["tools"][0]["function"]["parameters"]["properties"]) == set(LLMRecord.model_fields)

    meta = result.meta
    assert meta["llm_source"] == ("live" if recording else "replay")
    assert meta["cached"] is False and meta["routed"] is True
    assert [a["status"] for a in meta["attempts"]] == ["ok"]
    assert (meta["prompt_tokens"], meta["completion_tokens"]) == recorded.usage()
    assert Decimal(meta["cost"]) == price(*recorded.usage(), settings) > 0
    assert meta["prompt_hash"] == extractor.prompt.hash and meta["prompt_version"] == "v1"

    # provenance survives: every value is either found in the form or flagged
    assert result.record is not None
    unaligned = {f.fields[0] for f in result.findings if f.code == UNALIGNED}
    for path in _leaf_paths(result.record.model_dump(mode="json")):
        if path.endswith(("level1", "level2")):
            continue
        assert path in result.provenance or path in unaligned, path
    for path, spans in result.provenance.items():
        assert all(small_form.first_line <= s.line <= small_form.last_line for s in spans), path


def test_validation_error_then_reask(tmp_path, cassette, recording) -> None:
    form = sample_forms("000_1c7597119af05248.txt")[0]
    settings = base_settings(tmp_path, llm_cassette=cassette, llm_cassette_record=recording, llm_max_retries=1)
    extractor = _extractor(settings)
    outcome = _outcome(extractor, form)
    recorded = Recorded.load(cassette)

    # the first answer was rejected, and the re-ask carried the reason back
    assert len(recorded.requests) == 2
    first_args = _tool_arguments(recorded.responses[0])
    assert not _accepted(first_args)
    reask = recorded.requests[1]["messages"]
    assert reask[: len(recorded.requests[0]["messages"])] == recorded.requests[0]["messages"]
    assert reask[-2]["role"] == "assistant"
    assert reask[-1]["role"] == "tool" and "Validation Error found" in reask[-1]["content"]

    second_ok = _accepted(_tool_arguments(recorded.responses[1]))
    if second_ok:
        assert [a["status"] for a in outcome.meta["attempts"]] == ["invalid", "ok"]
    else:
        assert isinstance(outcome, LLMError) and "no valid answer after 2 call(s)" in str(outcome)
        assert outcome.n_attempts == 2
        assert (outcome.prompt_tokens, outcome.completion_tokens) == recorded.usage()
    assert extractor.summary()["llm_calls"] == 2


def test_cut_off_by_max_tokens(tmp_path, cassette, recording, small_form: FormSlice) -> None:
    settings = base_settings(tmp_path, llm_cassette=cassette, llm_cassette_record=recording, llm_max_output_tokens=16)
    extractor = _extractor(settings)
    with pytest.raises(LLMError, match=r"cut off at max_tokens=16 \(16 completion tokens\)") as caught:
        extractor.extract(small_form, [small_form])
    recorded = Recorded.load(cassette)
    body = json.loads(recorded.responses[0]["body"]["string"])
    # llama-cpp-python says finish_reason=tool_calls even here; the token count tells
    assert body["choices"][0]["finish_reason"] in ("length", "tool_calls")
    assert body["usage"]["completion_tokens"] == 16
    # a cut-off answer is not re-asked or retried: the same limit would cut it again
    assert len(recorded.requests) == 1
    assert caught.value.n_attempts == 1
    assert caught.value.completion_tokens == 16


def test_json_mode(tmp_path, cassette, recording, small_form: FormSlice) -> None:
    settings = base_settings(
        tmp_path,
        llm_cassette=cassette,
        llm_cassette_record=recording,
        llm_mode="json",
        llm_max_retries=0,
        llm_max_output_tokens=256,
    )
    extractor = _extractor(settings)
    outcome = _outcome(extractor, small_form)
    recorded = Recorded.load(cassette)
    request = recorded.requests[0]
    assert request["response_format"] == {"type": "json_object"}
    assert "tools" not in request
    # json mode puts the schema, field descriptions included, into the system message
    assert "年初预算数" in request["messages"][0]["content"]
    body = json.loads(recorded.responses[0]["body"]["string"])
    content = body["choices"][0]["message"]["content"]
    if body["choices"][0]["finish_reason"] == "length":
        assert isinstance(outcome, LLMError) and "cut off" in str(outcome)
    elif _accepted(content):
        assert outcome.meta["attempts"][0]["status"] == "ok"
    else:
        assert isinstance(outcome, LLMError) and "no valid answer" in str(outcome)


def test_server_error_retried_then_reported(tmp_path, cassette, recording, small_form: FormSlice) -> None:
    # llama-cpp-python answers HTTP 500 to OpenAI's json_schema response_format
    sleeps = Sleeps()
    settings = base_settings(
        tmp_path, llm_cassette=cassette, llm_cassette_record=recording, llm_mode="json_schema", llm_http_retries=2
    )
    extractor = _extractor(settings, sleeps)
    with pytest.raises(LLMError, match="HTTP 500 after 3 tries") as caught:
        extractor.extract(small_form, [small_form])
    recorded = Recorded.load(cassette)
    assert [r["status"]["code"] for r in recorded.responses] == [500, 500, 500]
    assert recorded.requests[0]["response_format"]["type"] == "json_schema"
    assert caught.value.n_attempts == 3
    # exponential backoff with full jitter: wait n is within [0, base * 2**n]
    assert len(sleeps.waits) == 2
    for n, wait in enumerate(sleeps.waits):
        assert 0 <= wait <= settings.llm_backoff_base_s * 2**n


def test_token_budget_stops_further_calls(tmp_path, cassette, recording) -> None:
    """The budget is a ceiling (issue 9, item 11): a request goes only when its
    maximum (prompt estimate + max completion tokens) fits beside what is
    spent; the first form's fits in 6,000, the second's no longer does."""
    forms = sample_forms("001_1b2e574df5a7d62c.txt")
    first, second = forms[10], forms[0]
    settings = base_settings(
        tmp_path, llm_cassette=cassette, llm_cassette_record=recording, llm_max_retries=0, llm_token_budget=6000
    )
    extractor = _extractor(settings)
    outcomes = extractor.extract_many([first, second])
    recorded = Recorded.load(cassette)

    # the first request was sent and charged; the second form was never sent
    assert len(recorded.requests) == 1
    assert extractor.client.budget.spent == sum(recorded.usage()) <= 6000
    assert extractor.client.budget.reserved == 0
    assert isinstance(outcomes[(second.document.sha256, second.index)], BudgetExceededError)
    with pytest.raises(BudgetExceededError, match="token budget"):
        extractor.extract(forms[1], forms)
    assert len(Recorded.load(cassette).requests) == 1
