"""The extractor around the endpoint: cache, concurrency, siblings, run log.

These run against ``ScriptedEndpoint`` (a real HTTP server on 127.0.0.1
answering the gold record), so the cache and the run log see real traffic.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.extract.llm.llm_support import (
    SCRIPTED_MODEL,
    ScriptedEndpoint,
    Sleeps,
    base_settings,
    completion,
    gold,
    sample_forms,
)

from crossfoot.errors import LLMError
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.client import LLMClient
from crossfoot.segment import FormSlice
from crossfoot.settings import Settings


def _answer(doc: str, index: int) -> bytes:
    return completion(json.dumps(gold(f"{doc}__{index:02d}"), ensure_ascii=False))


def _settings(tmp_path: Path, endpoint: ScriptedEndpoint, **overrides: object) -> Settings:
    return base_settings(tmp_path, **{"llm_base_url": endpoint.url, "llm_model": SCRIPTED_MODEL, **overrides})


def _attempt_rows(settings: Settings) -> list[tuple[int, str, int, str]]:
    with sqlite3.connect(settings.cache_dir / "llm" / "runs.sqlite3") as db:
        return list(db.execute("SELECT form_index, status, prompt_tokens, cost FROM attempts ORDER BY id"))


def test_rerun_recalls_nothing_that_succeeded(tmp_path, scripted, small_form: FormSlice) -> None:
    scripted.append(ScriptedEndpoint([(200, {}, _answer("001_1b2e574df5a7d62c", 10), 0.0)]))
    endpoint = scripted[-1]
    settings = _settings(tmp_path, endpoint)
    first = LLMExtractor(settings).extract(small_form, [small_form])
    second = LLMExtractor(settings).extract(small_form, [small_form])  # a new run, same cache dir

    assert len(endpoint.requests) == 1
    assert first.meta["cached"] is False and first.meta["llm_source"] == "live"
    assert second.meta["cached"] is True and second.meta["llm_source"] == "cache"
    assert second.meta["llm_calls"] == 0 and second.meta["cost"] == "0"
    assert second.meta["cached_cost"] == first.meta["cost"]
    assert second.record == first.record and second.provenance == first.provenance
    assert [row[1] for row in _attempt_rows(settings)] == ["ok", "cache_hit"]


def test_cache_key_follows_the_model(tmp_path, scripted, small_form: FormSlice) -> None:
    scripted.append(ScriptedEndpoint([(200, {}, _answer("001_1b2e574df5a7d62c", 10), 0.0)]))
    endpoint = scripted[-1]
    LLMExtractor(_settings(tmp_path, endpoint)).extract(small_form, [small_form])
    other = LLMExtractor(_settings(tmp_path, endpoint, llm_model="another-model")).extract(small_form, [small_form])
    assert len(endpoint.requests) == 2
    assert other.meta["cached"] is False


def test_a_failed_form_is_not_cached(tmp_path, scripted, small_form: FormSlice) -> None:
    scripted.append(ScriptedEndpoint([(200, {}, completion('{"year": "last year"}'), 0.0)]))
    endpoint = scripted[-1]
    settings = _settings(tmp_path, endpoint, llm_max_retries=0)
    for _ in range(2):
        try:
            LLMExtractor(settings).extract(small_form, [small_form])
        except LLMError as exc:
            assert "no valid answer after 1 call(s)" in str(exc)
        else:
            raise AssertionError("an invalid answer was accepted")
    assert len(endpoint.requests) == 2
    assert [row[1] for row in _attempt_rows(settings)] == ["invalid", "invalid"]


def test_siblings_go_together_with_bounded_concurrency(tmp_path, scripted) -> None:
    doc = "000_1c7597119af05248"
    forms = sample_forms(f"{doc}.txt")
    # every request answers after a pause, so requests overlap when allowed to
    scripted.append(ScriptedEndpoint([(200, {}, _answer(doc, 0), 1.0)]))
    endpoint = scripted[-1]
    settings = _settings(tmp_path, endpoint, llm_concurrency=2)
    extractor = LLMExtractor(settings)
    done: list[int] = []
    extractor.on_form_done = lambda form, outcome: done.append(form.index)

    first = extractor.extract(forms[2], forms)
    assert len(endpoint.requests) == len(forms)  # the whole document went at once
    assert endpoint.max_in_flight == 2
    assert sorted(done) == [f.index for f in forms]
    rest = [extractor.extract(f, forms) for f in forms if f.index != 2]
    assert len(endpoint.requests) == len(forms)  # handed out, not asked again
    assert all(r.meta["llm_calls"] == 1 for r in [first, *rest])
    summary = extractor.summary()
    assert summary["forms"] == len(forms) and summary["llm_calls"] == len(forms)


def test_run_log_has_every_attempt_and_its_cost(tmp_path, scripted, small_form: FormSlice) -> None:
    scripted.append(
        ScriptedEndpoint(
            [
                (500, {}, b'{"error": {"message": "boom"}}', 0.0),
                (200, {}, _answer("001_1b2e574df5a7d62c", 10), 0.0),
            ]
        )
    )
    settings = _settings(tmp_path, scripted[-1])
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=Sleeps()))
    result = extractor.extract(small_form, [small_form])
    rows = _attempt_rows(settings)
    assert [(r[0], r[1]) for r in rows] == [(small_form.index, "http_error"), (small_form.index, "ok")]
    assert [r[3] for r in rows] == [a["cost"] for a in result.meta["attempts"]]
    assert extractor.log.totals() == {
        "attempts": 2,
        "prompt_tokens": result.meta["prompt_tokens"],
        "completion_tokens": result.meta["completion_tokens"],
        "estimated_tokens": 0,
        "cost": result.meta["cost"],
    }
