"""The run log: every LLM attempt of every run, in SQLite under the cache dir.

``<cache_dir>/llm/runs.sqlite3`` holds two tables (schema below, created by
ordered, named migrations recorded in ``_migrations``):

- ``runs``: one row per extractor run (model, endpoint, mode, prompt hash,
  schema version, source live/replay);
- ``attempts``: one row per HTTP request (form, call, HTTP try, status,
  tokens, cost, latency, whether the tokens are estimated), plus one ``cache_hit`` row per form answered from
  the cache (zero tokens).

Query it with the ``sqlite3`` shell, e.g. the cost of the last run::

    SELECT run_id, SUM(prompt_tokens), SUM(completion_tokens), SUM(CAST(cost AS REAL))
    FROM attempts GROUP BY run_id ORDER BY MAX(id) DESC LIMIT 1;
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.errors import ConfigError
from crossfoot.extract.llm.usage import Attempt

__all__ = ["MIGRATIONS", "RunLog"]

#: (name, SQL), applied in order, each once. Append; never edit one that shipped.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "001_runs",
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            backend TEXT NOT NULL,
            model TEXT NOT NULL,
            base_url TEXT,
            mode TEXT NOT NULL,
            prompt_name TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            schema_version TEXT NOT NULL,
            source TEXT NOT NULL
        )""",
    ),
    (
        "002_attempts",
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs(id),
            created_at TEXT NOT NULL,
            form_path TEXT NOT NULL,
            form_index INTEGER NOT NULL,
            cache_key TEXT NOT NULL,
            call INTEGER NOT NULL,
            http_try INTEGER NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            finish_reason TEXT,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            cost TEXT NOT NULL,
            latency_ms INTEGER NOT NULL,
            error TEXT
        )""",
    ),
    ("003_attempts_by_run", "CREATE INDEX attempts_by_run ON attempts(run_id)"),
    # 1: the tokens are crossfoot's estimate (no usage in the answer, or a timeout)
    ("004_attempts_estimated", "ALTER TABLE attempts ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0"),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied; returns their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied: list[str] = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with db:
            db.execute(sql)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, _now()))
        applied.append(name)
    return applied


class RunLog:
    """Appends one run's attempts to the SQLite log."""

    def __init__(self, path: Path, run: dict[str, Any]) -> None:
        self.path = path
        self.run_id = uuid.uuid4().hex
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
            # WAL: a commit per form without an fsync each; a crash loses at most the last forms' rows
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            migrate(self._db)
            with self._db:
                self._db.execute(
                    "INSERT INTO runs VALUES (:id, :started_at, :backend, :model, :base_url, :mode, "
                    ":prompt_name, :prompt_version, :prompt_hash, :schema_version, :source)",
                    {"id": self.run_id, "started_at": _now(), **run},
                )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the LLM run log: {exc}", path=path) from exc

    def record(self, form_path: str, form_index: int, cache_key: str, attempts: list[Attempt]) -> None:
        """One form's attempts, in one transaction."""
        rows = [
            (
                self.run_id,
                _now(),
                form_path,
                form_index,
                cache_key,
                a.call,
                a.http_try,
                a.status,
                a.http_status,
                a.finish_reason,
                a.prompt_tokens,
                a.completion_tokens,
                str(a.cost),
                a.latency_ms,
                a.error,
                int(a.estimated),
            )
            for a in attempts
        ]
        with self._db:
            self._db.executemany(
                "INSERT INTO attempts (run_id, created_at, form_path, form_index, cache_key, call, http_try, "
                "status, http_status, finish_reason, prompt_tokens, completion_tokens, cost, latency_ms, error, "
                "estimated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def record_cache_hit(self, form_path: str, form_index: int, cache_key: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO attempts (run_id, created_at, form_path, form_index, cache_key, call, http_try, "
                "status, prompt_tokens, completion_tokens, cost, latency_ms) "
                "VALUES (?, ?, ?, ?, ?, 0, 0, 'cache_hit', 0, 0, '0', 0)",
                (self.run_id, _now(), form_path, form_index, cache_key),
            )

    def totals(self) -> dict[str, Any]:
        """This run's attempts, tokens and cost so far."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
            "COALESCE(SUM(CASE WHEN estimated THEN prompt_tokens + completion_tokens ELSE 0 END), 0) "
            "FROM attempts WHERE run_id = ? AND status != 'cache_hit'",
            (self.run_id,),
        ).fetchone()
        costs = self._db.execute("SELECT cost FROM attempts WHERE run_id = ?", (self.run_id,)).fetchall()
        return {
            "attempts": row[0],
            "prompt_tokens": row[1],
            "completion_tokens": row[2],
            "estimated_tokens": row[3],
            "cost": str(sum((Decimal(c[0]) for c in costs), Decimal(0))),
        }

    def close(self) -> None:
        self._db.close()
