"""Who may use the review app: tokens, named reviewers, trusted hosts, and a
throttle on wrong tokens.

Three modes:

- **loopback, no token** (the default): anyone on this machine may review and
  names themselves; the app still accepts only its own host names, so a web
  page elsewhere cannot reach it by DNS rebinding.
- **a shared token** (``CROSSFOOT_REVIEW_TOKEN``): every page but the login
  page needs it; reviewers still name themselves.
- **named reviewers** (``--reviewers FILE``): one token per person, made by
  the admin with ``crossfoot review-token NAME``; the audit trail's "who" is
  the token's owner, never what the browser says. The file keeps only the
  tokens' sha256, so reading it does not let anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from crossfoot.errors import ConfigError
from crossfoot.files import write_atomically

__all__ = [
    "Access",
    "ReviewerEntry",
    "ReviewersFile",
    "Throttle",
    "add_reviewer",
    "hosts_for",
    "load_reviewers",
    "token_digest",
]

#: wrong tokens one client may try per window before it must wait
MAX_FAILURES = 5
FAILURE_WINDOW_S = 60.0


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ReviewerEntry(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    token_sha256: str = Field(pattern="^[0-9a-f]{64}$")


class ReviewersFile(BaseModel):
    """``{"reviewers": [{"name": ..., "token_sha256": ...}, ...]}``"""

    reviewers: list[ReviewerEntry] = Field(default_factory=list)


def load_reviewers(path: Path) -> ReviewersFile:
    """The reviewers file; ConfigError naming the file when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReviewersFile.model_validate(data)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no reviewers file (make one with `crossfoot review-token NAME`)") from None
    except (OSError, ValueError, ValidationError) as exc:
        first = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ConfigError(f"{path}: not a usable reviewers file: {first}") from None


def add_reviewer(path: Path, name: str) -> str:
    """Give ``name`` a new token (replacing any old one) and return it; the
    file is rewritten through a temporary file, so it is never half-written."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ConfigError("a reviewer needs a name")
    current = load_reviewers(path) if path.exists() else ReviewersFile()
    token = secrets.token_urlsafe(24)
    kept = [entry for entry in current.reviewers if entry.name != cleaned]
    updated = ReviewersFile(reviewers=[*kept, ReviewerEntry(name=cleaned, token_sha256=token_digest(token))])
    write_atomically(path, updated.model_dump_json(indent=2) + "\n", mode=0o600)
    return token


def hosts_for(host: str) -> list[str]:
    """The Host names a server started on ``host`` answers to."""
    if host in ("127.0.0.1", "localhost", "::1") or host.startswith("127."):
        return ["127.0.0.1", "localhost", "::1", "[::1]", host]
    return [host]


@dataclass
class Throttle:
    """Counts wrong tokens per client; past MAX_FAILURES in the window, it
    makes the client wait (guessing a token must be slow)."""

    max_failures: int = MAX_FAILURES
    window_s: float = FAILURE_WINDOW_S
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def wait_s(self, client: str) -> float:
        """Seconds the client must wait before its next try (0: go ahead)."""
        now = time.monotonic()
        times = self._recent(client, now)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, self.window_s - (now - times[0]))

    def failed(self, client: str) -> None:
        now = time.monotonic()
        self._recent(client, now).append(now)


@dataclass
class Access:
    """The app's access rules (see the module docstring)."""

    shared_token: str | None = None
    reviewers: dict[str, str] = field(default_factory=dict)  # token sha256 -> name
    allowed_hosts: list[str] = field(default_factory=lambda: hosts_for("127.0.0.1"))
    throttle: Throttle = field(default_factory=Throttle)

    @classmethod
    def build(
        cls,
        *,
        host: str,
        shared_token: str | None,
        reviewers: ReviewersFile | None,
        extra_hosts: tuple[str, ...] = (),
    ) -> Access:
        named = {entry.token_sha256: entry.name for entry in (reviewers.reviewers if reviewers else [])}
        return cls(shared_token=shared_token or None, reviewers=named, allowed_hosts=[*hosts_for(host), *extra_hosts])

    @property
    def required(self) -> bool:
        """Whether every page needs a token."""
        return bool(self.shared_token or self.reviewers)

    @property
    def named(self) -> bool:
        return bool(self.reviewers)

    def identify(self, token: str | None) -> tuple[bool, str | None]:
        """(accepted, the reviewer's name when the token names one)."""
        if not token:
            return False, None
        digest = token_digest(token)
        for known, name in self.reviewers.items():
            if hmac.compare_digest(known, digest):
                return True, name
        if self.shared_token and hmac.compare_digest(token.encode(), self.shared_token.encode()):
            return True, None
        return False, None
