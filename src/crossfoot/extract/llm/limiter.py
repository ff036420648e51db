"""Requests-per-minute and tokens-per-minute limits over a sliding minute.

Single event loop, no threads: the check and the booking in ``acquire``
happen with no ``await`` between them, so two tasks cannot both take the
last slot. A request's tokens are booked from an estimate before it is sent
and corrected with the real usage afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Booking", "RateLimiter", "estimate_tokens"]

WINDOW_S = 60.0


def estimate_tokens(text: str, max_output_tokens: int) -> int:
    """A deliberately high guess: CJK runs near one token per character,
    JSON schema near four characters per token; plus the whole output."""
    cjk = sum(1 for ch in text if ord(ch) > 0x2E80)
    return cjk + (len(text) - cjk) // 3 + max_output_tokens


@dataclass
class Booking:
    """One request's place in the window."""

    at: float
    tokens: int


class RateLimiter:
    """Waits until one more request (of ``tokens``) fits in the last minute."""

    def __init__(
        self,
        requests_per_minute: int,
        tokens_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self._clock = clock
        self._sleep = sleep
        self._window: deque[Booking] = deque()
        self._tokens = 0  # sum over the window, kept as bookings come and go
        self.waited_s = 0.0  # total time spent waiting, for the run summary

    def _prune(self, now: float) -> None:
        while self._window and now - self._window[0].at >= WINDOW_S:
            self._tokens -= self._window.popleft().tokens

    def _fits(self, tokens: int) -> bool:
        if len(self._window) >= self.rpm:
            return False
        # a single request larger than the whole allowance still goes, alone
        return not self._window or self._tokens + tokens <= self.tpm

    async def acquire(self, tokens: int) -> Booking:
        while True:
            now = self._clock()
            self._prune(now)
            if self._fits(tokens):
                booking = Booking(now, tokens)
                self._window.append(booking)
                self._tokens += tokens
                return booking
            wait = max(self._window[0].at + WINDOW_S - now, 0.01)
            self.waited_s += wait
            await self._sleep(wait)

    def settle(self, booking: Booking, actual_tokens: int) -> None:
        """Replace the estimate with what the response reported."""
        if any(b is booking for b in self._window):  # still inside the minute
            self._tokens += actual_tokens - booking.tokens
        booking.tokens = actual_tokens
