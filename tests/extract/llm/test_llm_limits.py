"""Rate limiter, budget, price, Retry-After parsing, cache and run log."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from crossfoot.errors import BudgetExceededError
from crossfoot.extract.llm.cache import ResponseCache, cache_key
from crossfoot.extract.llm.client import retry_after
from crossfoot.extract.llm.limiter import RateLimiter
from crossfoot.extract.llm.runlog import MIGRATIONS, RunLog, migrate
from crossfoot.extract.llm.usage import Attempt, FormUsage, TokenBudget, price, summary_line
from crossfoot.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_per_minute_spreads_requests_over_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 10**9, clock=clock, sleep=clock.sleep)

    async def five() -> list[float]:
        return [(await limiter.acquire(1)).at for _ in range(5)]

    starts = asyncio.run(five())
    assert starts == [0.0, 0.0, 0.0, 60.0, 60.0]
    assert limiter.waited_s == 60.0


def test_tokens_per_minute_uses_the_real_usage_once_known() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, 1000, clock=clock, sleep=clock.sleep)

    async def run() -> list[float]:
        first = await limiter.acquire(900)  # an estimate
        limiter.settle(first, 200)  # what the response reported
        second = await limiter.acquire(700)  # fits now: 200 + 700 <= 1000
        third = await limiter.acquire(700)  # does not: waits for the window
        return [first.at, second.at, third.at]

    assert asyncio.run(run()) == [0.0, 0.0, 60.0]


def test_a_request_bigger_than_the_allowance_still_goes_alone() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, 1000, clock=clock, sleep=clock.sleep)
    booking = asyncio.run(limiter.acquire(5000))
    assert booking.at == 0.0


def test_budget_stops_once_spent() -> None:
    budget = TokenBudget(1000)
    budget.check()
    budget.add(999)
    budget.check()
    budget.add(1)
    with pytest.raises(BudgetExceededError, match="1000 of 1000 tokens"):
        budget.check()
    TokenBudget(None).check()  # no budget, no limit


def test_price_and_usage_totals_count_every_attempt() -> None:
    settings = Settings(llm_price_in_per_mtok=Decimal("0.15"), llm_price_out_per_mtok=Decimal("0.60"))
    assert price(1_000_000, 1_000_000, settings) == Decimal("0.75")
    usage = FormUsage()
    usage.add(Attempt(call=1, http_try=1, status="http_error", http_status=429))
    usage.add(
        Attempt(
            call=1, http_try=2, status="ok", prompt_tokens=1000, completion_tokens=100, cost=price(1000, 100, settings)
        )
    )
    usage.mark_invalid("total_score: not a number")
    usage.add(
        Attempt(
            call=2, http_try=1, status="ok", prompt_tokens=1200, completion_tokens=90, cost=price(1200, 90, settings)
        )
    )
    meta = usage.meta()
    assert [a["status"] for a in meta["attempts"]] == ["http_error", "invalid", "ok"]
    assert (meta["llm_calls"], meta["prompt_tokens"], meta["completion_tokens"]) == (3, 2200, 190)
    assert Decimal(meta["cost"]) == price(2200, 190, settings)


def _response(headers: dict[str, str]) -> Exception:
    error = Exception("429")
    error.response = SimpleNamespace(headers=headers)  # type: ignore[attr-defined]
    return error


def test_retry_after_forms() -> None:
    assert retry_after(_response({"retry-after": "7"})) == 7.0
    assert retry_after(_response({"retry-after": "1.5"})) == 1.5
    assert retry_after(_response({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(_response({"retry-after": later})) or 0) <= 30
    assert retry_after(_response({"retry-after": "soon"})) is None
    assert retry_after(_response({})) is None
    assert retry_after(Exception("no response")) is None


def test_cache_key_changes_with_every_part() -> None:
    parts = ["表", "hash", "model", "tools", "schema"]
    keys = {cache_key(*parts)}
    for i in range(len(parts)):
        changed = list(parts)
        changed[i] += "'"
        keys.add(cache_key(*changed))
    assert len(keys) == len(parts) + 1


def test_cache_round_trip_and_a_torn_file_is_a_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    key = cache_key("表", "h", "m", "tools", "s")
    assert cache.get(key) is None
    cache.put(key, {"project_name": "项目"}, model="m", usage=(10, 5, "0.01"))
    hit = cache.get(key)
    assert hit is not None and hit.answer == {"project_name": "项目"} and hit.cost == "0.01"
    path = tmp_path / key[:2] / f"{key}.json"
    path.write_text(path.read_text(encoding="utf-8")[:20], encoding="utf-8")
    assert cache.get(key) is None
    assert not list(tmp_path.rglob("*.tmp"))  # writes leave no temporary files behind


def test_run_log_migrations_apply_once_in_order(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "log.sqlite3")
    assert migrate(db) == [name for name, _ in MIGRATIONS]
    assert migrate(db) == []
    assert [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")] == [n for n, _ in MIGRATIONS]


def test_run_log_keeps_runs_apart(tmp_path: Path) -> None:
    run = {
        "backend": "llm",
        "model": "m",
        "base_url": None,
        "mode": "tools",
        "prompt_name": "extract_form",
        "prompt_version": "v1",
        "prompt_hash": "h",
        "schema_version": "s",
        "source": "live",
    }
    first, second = RunLog(tmp_path / "log.sqlite3", run), RunLog(tmp_path / "log.sqlite3", run)
    first.record("a.txt", 0, "k", [Attempt(call=1, http_try=1, status="ok", prompt_tokens=10, cost=Decimal("0.5"))])
    second.record_cache_hit("a.txt", 0, "k")
    assert first.totals() == {
        "attempts": 1,
        "prompt_tokens": 10,
        "completion_tokens": 0,
        "estimated_tokens": 0,
        "cost": "0.5",
    }
    assert second.totals() == {
        "attempts": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "estimated_tokens": 0,
        "cost": "0",
    }


def test_summary_line_names_the_routed_share_the_bill_and_a_replay() -> None:
    hybrid = {
        "forms": 22,
        "routed": 5,
        "routed_fraction": "0.227",
        "llm": {
            "forms": 5,
            "failed": 1,
            "cached": 0,
            "llm_calls": 7,
            "prompt_tokens": 7891,
            "completion_tokens": 1391,
            "cost": "0.002",
            "llm_source": "replay",
        },
    }
    line = summary_line(hybrid)
    assert line.startswith("LLM: 5 of 22 forms sent to the LLM (22.7%)")
    assert "1 failed" in line and "7 calls" in line and "7,891 prompt + 1,391 completion tokens" in line
    assert "cost 0.002" in line and "REPLAYED" in line
    live = {**hybrid["llm"], "llm_source": "live", "failed": 0, "cached": 2}  # type: ignore[dict-item]
    assert "REPLAYED" not in summary_line(live) and "2 from the cache" in summary_line(live)
    assert summary_line({"forms": 3, "routed": 0, "routed_fraction": "0", "llm": {}}) == (
        "LLM: 0 of 3 forms sent to the LLM (0.0%)"
    )
