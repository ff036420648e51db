"""Protocol cases a real server cannot produce on demand: hand-written cassettes.

The responses are written by hand (the scripts below); while recording they
are served by ``ScriptedEndpoint``, a real HTTP server on 127.0.0.1, so the
requests in the cassettes are the ones crossfoot really sends. The valid
answer in each script is the hand-labelled gold record of the form, so a
successful replay must give back exactly that record. Re-record with

    pytest tests/extract/llm/test_llm_protocol.py --record-mode=rewrite
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.extract.llm.llm_support import (
    LLAMA_URL,
    SCRIPTED_MODEL,
    SMALL_DOC,
    SMALL_FORM,
    Recorded,
    ScriptedEndpoint,
    Sleeps,
    base_settings,
    completion,
    error_body,
    gold,
)

from crossfoot.errors import LLMError, LLMUnavailableError
from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.client import LLMClient
from crossfoot.extract.llm.models import LLMRecord, to_record
from crossfoot.segment import FormSlice
from crossfoot.settings import Settings

Script = list[tuple[int, dict[str, str], bytes, float]]


GOLD = json.dumps(gold(f"{Path(SMALL_DOC).stem}__{SMALL_FORM:02d}"), ensure_ascii=False)


def _settings(tmp_path: Path, cassette: Path, recording: bool, url: str, **overrides: Any) -> Settings:
    return base_settings(
        tmp_path,
        llm_base_url=url,
        llm_model=SCRIPTED_MODEL,
        llm_cassette=cassette,
        llm_cassette_record=recording,
        **overrides,
    )


def _run(
    tmp_path: Path,
    cassette: Path,
    recording: bool,
    scripted: list[ScriptedEndpoint],
    script: Script,
    form: FormSlice,
    sleeps: Sleeps,
    **overrides: Any,
) -> tuple[ExtractionResult | Exception, Recorded]:
    url = LLAMA_URL  # replay matches method, path and body: the host does not matter
    if recording:
        scripted.append(ScriptedEndpoint(script))
        url = scripted[-1].url
    settings = _settings(tmp_path, cassette, recording, url, **overrides)
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=sleeps))
    try:
        outcome: ExtractionResult | Exception = extractor.extract(form, [form])
    except LLMError as exc:
        outcome = exc
    return outcome, Recorded.load(cassette)


def _statuses(outcome: ExtractionResult | Exception) -> list[str]:
    assert isinstance(outcome, ExtractionResult), outcome
    return [a["status"] for a in outcome.meta["attempts"]]


def _is_gold(outcome: ExtractionResult | Exception) -> bool:
    assert isinstance(outcome, ExtractionResult), outcome
    return outcome.record == to_record(LLMRecord.model_validate_json(GOLD))


def test_rate_limited_then_success(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    script: Script = [
        (429, {"retry-after": "7"}, error_body(429, "Rate limit reached for requests"), 0.0),
        (200, {}, completion(GOLD), 0.0),
    ]
    outcome, recorded = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps)
    assert [r["status"]["code"] for r in recorded.responses] == [429, 200]
    assert recorded.requests[0] == recorded.requests[1]  # the same request, sent again
    assert sleeps.waits == [7.0]  # Retry-After honoured, not the backoff guess
    assert _statuses(outcome) == ["http_error", "ok"]
    assert isinstance(outcome, ExtractionResult)
    assert outcome.meta["attempts"][0]["http_status"] == 429
    assert outcome.meta["llm_calls"] == 2
    assert _is_gold(outcome)


def test_retry_after_is_capped(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    script: Script = [
        (503, {"retry-after": "3600"}, error_body(503, "overloaded"), 0.0),
        (200, {}, completion(GOLD), 0.0),
    ]
    outcome, _ = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps, llm_backoff_max_s=12.0)
    assert sleeps.waits == [12.0]
    assert _statuses(outcome) == ["http_error", "ok"]


def test_request_timeout_status_then_success(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    # what a gateway in front of a slow model answers (the client-side timeout
    # is tested against a live socket in test_llm_unavailable.py)
    script: Script = [
        (408, {}, error_body(408, "upstream request timeout"), 0.0),
        (200, {}, completion(GOLD), 0.0),
    ]
    outcome, recorded = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps)
    assert [r["status"]["code"] for r in recorded.responses] == [408, 200]
    assert _statuses(outcome) == ["http_error", "ok"]
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= 0.5
    assert _is_gold(outcome)


def test_malformed_json_body_then_success(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    truncated = completion(GOLD)[:120]  # a proxy that cut the body short
    script: Script = [(200, {}, truncated, 0.0), (200, {}, completion(GOLD), 0.0)]
    outcome, recorded = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps)
    assert len(recorded.requests) == 2
    assert _statuses(outcome) == ["bad_response", "ok"]
    assert _is_gold(outcome)


def test_malformed_json_body_every_time(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    page = b"<html><body>502 Bad Gateway</body></html>"  # a proxy's error page, with status 200
    script: Script = [(200, {"content-type": "text/html"}, page, 0.0)]
    outcome, recorded = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps, llm_http_retries=1)
    assert len(recorded.requests) == 2
    assert isinstance(outcome, LLMError)
    assert "not a chat completion" in str(outcome) and "after 2 tries" in str(outcome)
    assert outcome.n_attempts == 2 and outcome.prompt_tokens == 0


def test_malformed_tool_arguments_reasked(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    broken = GOLD[: len(GOLD) // 2]  # JSON cut mid-way inside the tool call's arguments
    script: Script = [(200, {}, completion(broken), 0.0), (200, {}, completion(GOLD), 0.0)]
    outcome, recorded = _run(tmp_path, cassette, recording, scripted, script, small_form, sleeps)
    assert len(recorded.requests) == 2
    reask = recorded.requests[1]["messages"]
    assert reask[-1]["role"] == "tool" and "Validation Error found" in reask[-1]["content"]
    assert _statuses(outcome) == ["invalid", "ok"]
    assert isinstance(outcome, ExtractionResult)
    assert (outcome.meta["prompt_tokens"], outcome.meta["completion_tokens"]) == recorded.usage()
    assert _is_gold(outcome)


def test_rejected_key_is_unavailable(tmp_path, cassette, recording, scripted, small_form, sleeps) -> None:
    script: Script = [(401, {}, error_body(401, "Incorrect API key provided"), 0.0)]
    url = LLAMA_URL
    if recording:
        scripted.append(ScriptedEndpoint(script))
        url = scripted[-1].url
    settings = _settings(tmp_path, cassette, recording, url)
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=sleeps))
    with pytest.raises(LLMUnavailableError, match="rejected the API key"):
        extractor.extract(small_form, [small_form])
    # the next form fails at once, without a request
    with pytest.raises(LLMUnavailableError):
        extractor.extract(small_form, [small_form])
    assert len(Recorded.load(cassette).requests) == 1
    assert sleeps.waits == []
