"""LLM spending (issue 9, items 11-13): the budget is a ceiling with requests
in flight, an answer without ``usage`` is charged an estimate, and a request
that timed out is charged its reservation. Against ``ScriptedEndpoint``, a
real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from tests.extract.llm.llm_support import (
    SCRIPTED_MODEL,
    ScriptedEndpoint,
    Sleeps,
    base_settings,
    completion,
    gold,
    sample_forms,
)

from crossfoot.errors import BudgetExceededError, LLMError
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.client import LLMClient
from crossfoot.extract.llm.limiter import estimate_tokens
from crossfoot.extract.llm.usage import TokenBudget, summary_line

DOC = "001_1b2e574df5a7d62c"


def _answer(index: int = 10, *, usage: bool = True) -> bytes:
    body = json.loads(completion(json.dumps(gold(f"{DOC}__{index:02d}"), ensure_ascii=False)))
    if not usage:
        del body["usage"]
    return json.dumps(body, ensure_ascii=False).encode()


def test_the_budget_is_a_ceiling_with_requests_in_flight(tmp_path: Path, scripted: list[ScriptedEndpoint]) -> None:
    """Item 11: 11 forms at concurrency 11, each answer slow: what is spent
    never passes the budget (it was checked before sending and charged after,
    so every request in flight got through)."""
    forms = sample_forms(f"{DOC}.txt")
    scripted.append(ScriptedEndpoint([(200, {}, _answer(), 0.5)]))
    endpoint = scripted[-1]
    budget = 3000
    settings = base_settings(
        tmp_path,
        llm_base_url=endpoint.url,
        llm_model=SCRIPTED_MODEL,
        llm_concurrency=len(forms),
        llm_max_output_tokens=300,
        llm_max_retries=0,
        llm_token_budget=budget,
        llm_cache=False,
    )
    extractor = LLMExtractor(settings)
    outcomes = extractor.extract_many(forms)
    spent = extractor.client.budget.spent
    assert 0 < spent <= budget
    assert extractor.client.budget.reserved == 0
    answered = [o for o in outcomes.values() if not isinstance(o, Exception)]
    refused = [o for o in outcomes.values() if isinstance(o, BudgetExceededError)]
    assert answered and refused
    assert len(endpoint.requests) == len(answered)
    assert spent == sum(o.meta["prompt_tokens"] + o.meta["completion_tokens"] for o in answered)


def test_reserve_and_settle() -> None:
    """Item 11: the reservation is held until settled, then replaced by the cost."""
    budget = TokenBudget(1000)
    held = budget.reserve(600)
    with pytest.raises(BudgetExceededError, match="600 held by requests in flight"):
        budget.reserve(500)
    budget.settle(held, 200)
    assert (budget.spent, budget.reserved) == (200, 0)
    budget.reserve(800)
    TokenBudget(None).reserve(10**9)  # no budget, no limit


def test_an_answer_without_usage_is_charged_an_estimate(tmp_path: Path, scripted: list[ScriptedEndpoint]) -> None:
    """Item 12: a server that omits ``usage`` is still charged, and the figure says it is estimated."""
    forms = sample_forms(f"{DOC}.txt")
    scripted.append(ScriptedEndpoint([(200, {}, _answer(usage=False), 0.0)]))
    settings = base_settings(tmp_path, llm_base_url=scripted[-1].url, llm_model=SCRIPTED_MODEL, llm_token_budget=10**6)
    extractor = LLMExtractor(settings)
    result = extractor.extract(forms[10], forms[10:])
    attempt = result.meta["attempts"][0]
    assert attempt["estimated"] is True
    assert attempt["prompt_tokens"] > 0 and attempt["completion_tokens"] > 0
    assert attempt["completion_tokens"] == estimate_tokens(json.dumps(gold(f"{DOC}__10"), ensure_ascii=False), 0)
    assert result.meta["estimated_tokens"] == attempt["prompt_tokens"] + attempt["completion_tokens"]
    assert result.meta["cost"] != "0"
    assert extractor.client.budget.spent == result.meta["estimated_tokens"]
    with sqlite3.connect(settings.cache_dir / "llm" / "runs.sqlite3") as db:
        assert list(db.execute("SELECT estimated FROM attempts")) == [(1,)]
    assert extractor.log.totals()["estimated_tokens"] == result.meta["estimated_tokens"]
    assert "estimated" in summary_line(extractor.summary())


def test_a_timed_out_request_is_charged_its_reservation(tmp_path: Path, scripted: list[ScriptedEndpoint]) -> None:
    """Item 13: the provider may have done the work; the timeout is charged and labelled."""
    forms = sample_forms(f"{DOC}.txt")
    scripted.append(ScriptedEndpoint([(200, {}, _answer(), 3.0)]))
    settings = base_settings(
        tmp_path,
        llm_base_url=scripted[-1].url,
        llm_model=SCRIPTED_MODEL,
        llm_timeout_s=0.5,
        llm_http_retries=0,
        llm_max_retries=0,
        llm_max_output_tokens=500,
        llm_token_budget=10**6,
    )
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=Sleeps()))
    with pytest.raises(LLMError, match="timed out") as caught:
        extractor.extract(forms[10], forms[10:])
    assert caught.value.completion_tokens == 500
    assert caught.value.prompt_tokens > 0
    assert extractor.client.budget.spent == caught.value.prompt_tokens + 500
    with sqlite3.connect(settings.cache_dir / "llm" / "runs.sqlite3") as db:
        rows = list(db.execute("SELECT status, completion_tokens, estimated, error FROM attempts"))
    assert [(r[0], r[1], r[2]) for r in rows] == [("timeout", 500, 1)]
    assert "charged at its reservation" in rows[0][3]
    assert extractor.summary()["estimated_tokens"] == caught.value.prompt_tokens + 500


def test_reservations_are_taken_without_yielding() -> None:
    """Item 11: many tasks racing for the last tokens: exactly as many as fit get them."""
    budget = TokenBudget(1000)
    granted: list[int] = []

    async def one() -> None:
        await asyncio.sleep(0)
        with contextlib.suppress(BudgetExceededError):
            granted.append(budget.reserve(300))

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(16)))

    asyncio.run(many())
    assert len(granted) == 3 and budget.reserved == 900
