"""Work-queue mode (issue 12, item 5): several independent `crossfoot run`
processes, on one machine or many, given the same inputs and the same
PostgreSQL store, share out the documents with no scheduler.

Every process registers the documents it was given under the queue's name
(``INSERT ... ON CONFLICT DO NOTHING``), then claims them one at a time with
``SELECT ... FOR UPDATE SKIP LOCKED``: two processes never take the same row,
and neither waits for the other. A claim is a lease (``expires_at``, on the
database's clock, so machines' clocks need not agree): a process that dies
leaves its document to whoever asks after the lease ends. A document is
``done`` once its claimant has stored it and written its lines.

A document is named by its content's sha256 and its path relative to the
input it was found under, so a folder mounted at different places on two
machines is one queue, and two copies under different names are two items.
SQLite cannot hand rows out this way: the queue needs PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from crossfoot.errors import ConfigError
from crossfoot.review.audit import table_of
from crossfoot.review.store import Store, normalize_db_url
from crossfoot.review.tables import WorkItemRow

__all__ = ["DEFAULT_LEASE_S", "WorkQueue", "check_url", "claimant_id"]

#: how long a claim holds: longer than the slowest document (a long scan)
DEFAULT_LEASE_S = 1800.0


def claimant_id() -> str:
    """Who claims: host, process and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def check_url(name: str, db_url: str) -> None:
    """ConfigError unless the store is PostgreSQL (checked before anything is opened)."""
    if not normalize_db_url(db_url).startswith("postgresql"):
        raise ConfigError(
            f"--work-queue {name}: the work queue needs a PostgreSQL store (--db postgresql://…); "
            "a SQLite file cannot hand documents out to several processes"
        )


class WorkQueue:
    """One queue of one store, as seen by one claimant."""

    def __init__(self, store: Store, name: str, *, lease_s: float = DEFAULT_LEASE_S, claimant: str = "") -> None:
        check_url(name, store.url)
        if not name.strip():
            raise ConfigError("--work-queue: give the queue a name (the same in every process of the batch)")
        if lease_s <= 0:
            raise ConfigError(f"--lease {lease_s}: give a number of seconds above 0")
        self.store = store
        self.name = name
        self.lease = timedelta(seconds=lease_s)
        self.claimant = claimant or claimant_id()

    def _session(self) -> Session:
        # Not the store's write lock: claims must not queue behind a load.
        return Session(self.store.engine, expire_on_commit=False)

    def register(self, items: list[tuple[str, str]]) -> list[int]:
        """Add (sha256, name) items not yet in the queue; every item's id, in order."""
        if not items:
            return []
        table = table_of(WorkItemRow)
        rows = [{"queue": self.name, "sha256": sha, "name": name, "claims": 0} for sha, name in items]
        with self._session() as session, session.begin():
            for start in range(0, len(rows), 1000):
                statement = pg_insert(table).on_conflict_do_nothing(constraint="uq_work_items_key")
                session.execute(statement, rows[start : start + 1000])
            found = session.execute(
                select(WorkItemRow.id, WorkItemRow.sha256, WorkItemRow.name).where(WorkItemRow.queue == self.name)
            )
            ids = {(sha, name): item_id for item_id, sha, name in found}
        return [ids[item] for item in items]

    def claim(self, candidates: Iterable[int]) -> int | None:
        """Claim one of ``candidates`` that nobody finished or holds; None when none is left."""
        wanted = list(candidates)
        if not wanted:
            return None
        now = func.now()
        with self._session() as session, session.begin():
            item_id = session.scalar(
                select(WorkItemRow.id)
                .where(
                    WorkItemRow.id.in_(wanted),
                    WorkItemRow.done_at.is_(None),
                    (WorkItemRow.expires_at.is_(None)) | (WorkItemRow.expires_at < now),
                )
                .order_by(WorkItemRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if item_id is None:
                return None
            session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id == item_id)
                .values(
                    claimed_by=self.claimant,
                    claimed_at=now,
                    expires_at=now + self.lease,
                    claims=WorkItemRow.claims + 1,
                )
            )
        return item_id

    def done(self, item_ids: Iterable[int], *, adopt: bool = False) -> None:
        """Mark items done: ours (claimed by us), or with ``adopt`` any that
        nobody finished or holds (what a resumed process already wrote)."""
        ids = list(item_ids)
        if not ids:
            return
        mine = WorkItemRow.claimed_by == self.claimant
        free = WorkItemRow.expires_at.is_(None) | (WorkItemRow.expires_at < func.now())
        with self._session() as session, session.begin():
            session.execute(
                update(WorkItemRow)
                .where(WorkItemRow.id.in_(ids), WorkItemRow.done_at.is_(None), (mine | free) if adopt else mine)
                .values(done_at=func.now(), claimed_by=self.claimant)
            )
