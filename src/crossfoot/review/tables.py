"""The review store's tables (SQLAlchemy 2 declarative).

The schema itself is created by the Alembic migrations in ``migrations/``;
these classes must describe the same tables (a test compares them).

Two numbers per form, on purpose:

- ``forms.version`` is the optimistic-concurrency token. Every change to a
  form (an edit, a status change, a re-extraction) bumps it with a
  compare-and-set ``UPDATE ... WHERE version = :seen``, so a save based on
  an older page never lands silently.
- ``forms.record_number`` names the current row of ``record_versions``;
  only a change of the record itself adds one.

``edits`` (the audit trail) and ``record_versions`` are append-only: the
migrations install triggers that refuse UPDATE, DELETE, REPLACE and (on
PostgreSQL) TRUNCATE, and each row is hash-chained to the one before it
(``audit.py``), so a change that gets past the triggers still shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "DocumentRow",
    "EditRow",
    "FindingRow",
    "FormLockRow",
    "FormRow",
    "RecordVersionRow",
    "ReviewItemRow",
    "RunRow",
    "WorkItemRow",
    "utcnow",
]

#: the queue's order after the status: skipped last, most urgent first, then document and form
QUEUE_COLUMNS = ("queue_skipped", "queue_rank", "queue_path", "form_index", "backend", "id")

#: JSON where Python ``None`` means SQL NULL, not the JSON literal ``null``.
NullableJSON = JSON(none_as_null=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012 (SQLAlchemy API)


class DocumentRow(Base):
    """A source document, kept whole so the form page can show its lines."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(32))
    #: [[number, page, [cell text, ...]], ...] in line order.
    lines: Mapped[list[Any]] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormRow(Base):
    """One form of one document as read by one backend."""

    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("document_id", "form_index", "backend", name="uq_forms_key"),
        # the queue's order (``queue.QUEUE_ORDER``) inside a status, and across all of them:
        # a page of the queue and a form's neighbours are index range scans, whatever the size
        Index("ix_forms_queue", "status", *QUEUE_COLUMNS),
        Index("ix_forms_queue_all", *QUEUE_COLUMNS),
        # the side bar's documents with the most forms waiting, from the index alone
        Index("ix_forms_status_document", "status", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    form_index: Mapped[int] = mapped_column(Integer)
    form_count: Mapped[int] = mapped_column(Integer, default=1)
    backend: Mapped[str] = mapped_column(String(32))
    #: the template the form was read as (source.template), which the checks follow
    template: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)
    #: needs_review | clean | approved | rejected
    status: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    record_number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    #: The queue's sort key, denormalised so the database can index it
    #: (issue 11, items 7 and 9): passed over by a skip (cleared by the next
    #: change), the urgency the form entered the queue with (set when a run
    #: loads it, never by a reviewer's edit, so the queue does not reorder under
    #: the reviewer), and the document's path. ``items.sync_items`` keeps them.
    queue_skipped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    queue_rank: Mapped[int] = mapped_column(Integer, default=9, server_default="9")
    queue_path: Mapped[str] = mapped_column(Text, default="", server_default="")


class RecordVersionRow(Base):
    """One state of a form's record; extraction writes number 1."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("form_id", "number", name="uq_record_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: extraction | review
    origin: Mapped[str] = mapped_column(String(16))
    record: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: hash of what the extractor produced, to recognise an unchanged re-run
    extraction_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    #: the hash chain (see ``audit.py``): the previous row's hash, and this row's
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class FindingRow(Base):
    """A finding on one record version."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_version_id: Mapped[int] = mapped_column(ForeignKey("record_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    printed: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[str | None] = mapped_column(Text)
    repair: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)


class ReviewItemRow(Base):
    """Why a form needs a person: an error finding, a backend disagreement,
    or a failed extraction. Open while ``closed_at`` is null."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_open", "form_id", "closed_at"),
        # the queue's check and severity counts of open items, from the index alone
        Index("ix_review_items_facets", "closed_at", "severity", "code"),
        # the forms of a check (open, or open and closed) for the check filter, from the index alone
        Index("ix_review_items_code_form", "code", "closed_at", "form_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    #: failure | error | disagreement
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    #: queue order: lower is more urgent
    rank: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_version: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(200))
    #: fixed | approved | rejected | superseded
    resolution: Mapped[str | None] = mapped_column(String(16))


class EditRow(Base):
    """One audited change: who, when, why, which field, old -> new.

    Also records status changes (approve, reject, reopen, skip) and what a
    run loaded (extract, re-extract), so the trail tells the whole story.
    """

    __tablename__ = "edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(Text)
    old_value: Mapped[Any] = mapped_column(NullableJSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(NullableJSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    #: the hash chain (see ``audit.py``): the previous row's hash, and this row's
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class RunRow(Base):
    """The run log: one row per `load_run`."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    backends: Mapped[str] = mapped_column(String(200), default="")
    crossfoot_version: Mapped[str] = mapped_column(String(32), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class FormLockRow(Base):
    """Who has a form open (issue 11, item 13): a soft lock with an expiry.

    One row per form, renewed while the reviewer's page is open; a lock past
    ``expires_at`` is free. Presence, not a change to the form: taking a form
    over is what the audit trail records (an ``EditRow`` "takeover").
    """

    __tablename__ = "form_locks"

    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"), primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class WorkItemRow(Base):
    """One document of a work queue (``run --work-queue NAME``): several
    `crossfoot run` processes on one PostgreSQL store claim documents here
    with ``SELECT ... FOR UPDATE SKIP LOCKED``, so each is done once.

    A claim is a lease: a process that dies leaves its document claimed until
    ``expires_at``, after which anyone may claim it again.
    """

    __tablename__ = "work_items"
    __table_args__ = (UniqueConstraint("queue", "sha256", "name", name="uq_work_items_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the name every process of one batch is given
    queue: Mapped[str] = mapped_column(String(200))
    #: the document: its content's sha256 and its path relative to the input named
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    #: set when the claimant has stored the document and written its lines
    done_at: Mapped[datetime | None] = mapped_column()
    #: how many times it was claimed (more than once: a claimant died)
    claims: Mapped[int] = mapped_column(Integer, default=0)
