"""What each LLM attempt cost: tokens, money, outcome; and the run's budget.

An *attempt* is one HTTP request. A form's extraction is one or more
*calls* (the first ask, then instructor's re-asks after a validation error),
and each call is one or more *tries* (the HTTP retries after a 429, a 5xx or
a timeout). Every try is an attempt and is recorded, failed ones included,
so the cost a run reports is what the provider bills.

Tokens the server did not report are estimated and marked ``estimated``:
an answer without ``usage`` is charged its prompt estimate plus an estimate
of the completion text (``limiter.estimate_tokens``: one token per CJK
character, one per three other characters, a deliberately high ratio), and
a request that timed out after it was sent is charged its whole reservation
(prompt estimate + ``llm_max_output_tokens``), since the provider may have
done the work.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from crossfoot.errors import BudgetExceededError
from crossfoot.settings import Settings

__all__ = ["Attempt", "AttemptStatus", "FormUsage", "TokenBudget", "price", "summary_line"]

MILLION = Decimal(1_000_000)

AttemptStatus = Literal[
    "ok",  # a completion the response model accepted
    "invalid",  # a completion that failed validation (instructor re-asks)
    "length",  # cut off by max_tokens (finish_reason=length)
    "http_error",  # 429 / 5xx / other status; see http_status
    "timeout",
    "connection",
    "bad_response",  # a 200 whose body is not a chat completion
]


def price(prompt_tokens: int, completion_tokens: int, settings: Settings) -> Decimal:
    """Cost from the settings price table (per million tokens, in and out)."""
    return (
        Decimal(prompt_tokens) * settings.llm_price_in_per_mtok
        + Decimal(completion_tokens) * settings.llm_price_out_per_mtok
    ) / MILLION


class Attempt(BaseModel):
    """One HTTP request to the endpoint."""

    call: int = Field(description="1 = the first ask, 2.. = instructor re-asks")
    http_try: int = Field(description="1 = first send, 2.. = HTTP retries of the same call")
    status: AttemptStatus
    http_status: int | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal(0)
    latency_ms: int = 0
    error: str | None = None
    estimated: bool = Field(False, description="tokens estimated: the server reported none (or timed out)")


class FormUsage:
    """The attempts made for one form, in order."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.call = 0  # bumped by each (re-)ask

    def add(self, attempt: Attempt) -> Attempt:
        self.attempts.append(attempt)
        return attempt

    def mark_invalid(self, error: str) -> None:
        """The last completion was rejected by validation."""
        for attempt in reversed(self.attempts):
            if attempt.status == "ok":
                attempt.status = "invalid"
                attempt.error = error[:500]
                return

    @property
    def prompt_tokens(self) -> int:
        return sum(a.prompt_tokens for a in self.attempts)

    @property
    def completion_tokens(self) -> int:
        return sum(a.completion_tokens for a in self.attempts)

    @property
    def cost(self) -> Decimal:
        return sum((a.cost for a in self.attempts), Decimal(0))

    @property
    def estimated_tokens(self) -> int:
        """The part of the tokens that is an estimate, not the server's count."""
        return sum(a.prompt_tokens + a.completion_tokens for a in self.attempts if a.estimated)

    def meta(self) -> dict[str, Any]:
        """The per-form usage keys of ``ExtractionResult.meta``."""
        return {
            "llm_calls": len(self.attempts),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": str(self.cost),
            "estimated_tokens": self.estimated_tokens,
            "attempts": [a.model_dump(mode="json") for a in self.attempts],
        }


class TokenBudget:
    """A per-run token budget that is a ceiling, also with requests in flight.

    Before a request is sent its maximum (prompt estimate + max completion
    tokens) is reserved; a request whose maximum does not fit beside what is
    spent and reserved is not sent. When it ends, the reservation is settled
    with what it cost. Single event loop: ``reserve`` has no ``await``, so two
    requests cannot both take the last tokens.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self.reserved = 0

    def _refuse(self, message: str) -> BudgetExceededError:
        return BudgetExceededError(
            f"{message} (raise CROSSFOOT_LLM_TOKEN_BUDGET, or lower CROSSFOOT_LLM_MAX_OUTPUT_TOKENS)",
            prompt_tokens=0,
            completion_tokens=0,
        )

    def check(self) -> None:
        """Raise BudgetExceededError when the budget is spent."""
        if self.limit is not None and self.spent >= self.limit:
            raise self._refuse(f"token budget spent: {self.spent} of {self.limit} tokens")

    def reserve(self, tokens: int) -> int:
        """Hold ``tokens`` for one request, or raise BudgetExceededError."""
        self.check()
        if self.limit is not None and self.spent + self.reserved + tokens > self.limit:
            raise self._refuse(
                f"token budget: {self.spent} spent and {self.reserved} held by requests in flight of "
                f"{self.limit}; the next request may use up to {tokens}"
            )
        self.reserved += tokens
        return tokens

    def settle(self, reservation: int, tokens: int) -> None:
        """The request that held ``reservation`` cost ``tokens``."""
        self.reserved -= reservation
        self.spent += tokens

    def add(self, tokens: int) -> None:
        self.spent += tokens


def summary_line(summary: dict[str, Any]) -> str:
    """One line for the ``run`` / ``eval`` summary, from ``LLMExtractor.summary()``
    or ``HybridExtractor.summary()``; says when the answers were replayed."""
    llm = summary.get("llm", summary)
    parts: list[str] = []
    if "routed" in summary:
        share = Decimal(summary["routed_fraction"]) * 100
        parts.append(f"{summary['routed']} of {summary['forms']} forms sent to the LLM ({share:.1f}%)")
    else:
        parts.append(f"{llm.get('forms', 0)} forms")
    if llm:
        if llm.get("failed"):
            parts.append(f"{llm['failed']} failed")
        if llm.get("cached"):
            parts.append(f"{llm['cached']} from the cache")
        parts.append(f"{llm['llm_calls']} calls")
        parts.append(f"{llm['prompt_tokens']:,} prompt + {llm['completion_tokens']:,} completion tokens")
        if llm.get("estimated_tokens"):
            parts.append(f"{llm['estimated_tokens']:,} of them estimated (no usage reported, or timed out)")
        parts.append(f"cost {llm['cost']}")
        if llm.get("llm_source") == "replay":
            parts.append("REPLAYED from a cassette, not a live model")
    return "LLM: " + " · ".join(parts)
