"""Who is reviewing a form (issue 11, item 13): a soft lock with an expiry.

Opening a form page claims it for the reviewer for ``LOCK_SECONDS``; the
open page renews the claim (a heartbeat from ``static/presence.js``, and
every change the reviewer saves). A second reviewer sees who has it and since when, and
gets the form read-only: the app refuses their changes (HTTP 409) until they
take it over, which the audit trail records. An expired claim is free.

A lock is presence, not part of the record: ``form_locks`` holds one row per
form, replaced in place; the audited fact is the take-over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crossfoot.errors import StoreError
from crossfoot.review.audit import append_edit
from crossfoot.review.store import Store, get_form
from crossfoot.review.tables import FormLockRow, utcnow

__all__ = ["LOCK_SECONDS", "FormLockedError", "Presence", "claim", "guard", "presence", "take_over"]

#: how long a claim lasts without a renewal (the page renews it every minute)
LOCK_SECONDS = 300


class FormLockedError(StoreError):
    """Another reviewer has the form open; take it over first."""


@dataclass(frozen=True)
class Presence:
    """Who has a form open, since when, until when (UTC); ``mine``: the asker."""

    reviewer: str
    since: datetime
    expires_at: datetime
    mine: bool

    @property
    def read_only(self) -> bool:
        return not self.mine


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were written in UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _active(session: Session, form_id: int, now: datetime) -> FormLockRow | None:
    row = session.get(FormLockRow, form_id)
    return row if row is not None and _aware(row.expires_at) > now else None


def _held(row: FormLockRow, reviewer: str | None) -> Presence:
    since, until = _aware(row.since), _aware(row.expires_at)
    return Presence(row.reviewer, since, until, mine=reviewer is not None and row.reviewer == reviewer)


def presence(store: Store, form_id: int, reviewer: str | None, now: datetime | None = None) -> Presence | None:
    """Who has the form open now (None: nobody), without claiming it."""
    with store.read() as session:
        row = _active(session, form_id, now or utcnow())
        return _held(row, reviewer) if row is not None else None


def _write(session: Session, form_id: int, reviewer: str, since: datetime, now: datetime) -> FormLockRow:
    session.execute(delete(FormLockRow).where(FormLockRow.form_id == form_id))
    row = FormLockRow(form_id=form_id, reviewer=reviewer, since=since, expires_at=now + timedelta(seconds=LOCK_SECONDS))
    session.add(row)
    session.flush()
    return row


def claim(store: Store, form_id: int, reviewer: str | None, now: datetime | None = None) -> Presence | None:
    """Open the form as ``reviewer``: claim or renew it if it is free or
    theirs; if someone else has it, say who (and claim nothing). A reviewer
    with no name claims nothing."""
    now = now or utcnow()
    if not reviewer:
        return presence(store, form_id, reviewer, now)
    with store.write() as session:
        get_form(session, form_id)  # a missing form is an error, not a lock
        row = _active(session, form_id, now)
        if row is not None and row.reviewer != reviewer:
            return _held(row, reviewer)
        since = _aware(row.since) if row is not None else now
        return _held(_write(session, form_id, reviewer, since, now), reviewer)


def guard(store: Store, form_id: int, reviewer: str | None, now: datetime | None = None) -> None:
    """Refuse a change to a form another reviewer has open (FormLockedError);
    renew the changer's own claim. A change to a form nobody has open claims
    nothing: opening the page is what claims it."""
    now = now or utcnow()
    with store.write() as session:
        row = _active(session, form_id, now)
        if row is None:
            return
        if row.reviewer != reviewer:
            raise FormLockedError(
                f"form {form_id}: {row.reviewer} is reviewing this form (since {_aware(row.since):%H:%M} UTC); "
                "nothing saved. Take it over first to change it"
            )
        row.expires_at = now + timedelta(seconds=LOCK_SECONDS)


def take_over(store: Store, form_id: int, reviewer: str, now: datetime | None = None) -> Presence:
    """Claim the form from whoever has it; an audited ``takeover`` (nothing
    about the form changes: its version stays)."""
    now = now or utcnow()
    with store.write() as session:
        form = get_form(session, form_id)
        row = _active(session, form_id, now)
        previous = row.reviewer if row is not None else None
        claimed = _write(session, form_id, reviewer, now, now)
        append_edit(
            session,
            form_id=form.id,
            reviewer=reviewer,
            action="takeover",
            reason=f"took the form over from {previous}" if previous else "took the form over (its claim had expired)",
            from_version=form.version,
            to_version=form.version,
        )
        return _held(claimed, reviewer)


def holders(store: Store, form_ids: list[int], now: datetime | None = None) -> dict[int, str]:
    """Who has each of these forms open now (for the queue page)."""
    now = now or utcnow()
    with store.read() as session:
        rows = session.scalars(select(FormLockRow).where(FormLockRow.form_id.in_(form_ids))).all()
        return {row.form_id: row.reviewer for row in rows if _aware(row.expires_at) > now}
