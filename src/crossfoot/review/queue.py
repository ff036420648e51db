"""The review queue: which forms wait, in what order, and the counts a
reviewer steers by (by check, by severity, by document, by status).

Order: the most urgent open item first (extraction failures, then error
findings, then backend disagreements), then document and form order; forms
a reviewer already fixed but has not yet approved come last.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossfoot.review.store import Store
from crossfoot.review.tables import DocumentRow, EditRow, FormRow, ReviewItemRow

__all__ = [
    "STATUSES",
    "Activity",
    "Progress",
    "QueueCounts",
    "QueueFilters",
    "QueueRow",
    "counts",
    "neighbours",
    "progress",
    "queue",
    "recent_activity",
]

STATUSES = ("needs_review", "clean", "approved", "rejected")
_NO_ITEMS_RANK = 9
#: what a person did (runs and skips left out of the activity list)
PERSON_ACTIONS = ("edit", "repair", "correct", "unprinted", "undo", "start", "approve", "reject", "reopen")


@dataclass(frozen=True)
class QueueFilters:
    """What the queue page is narrowed to; empty means everything."""

    status: str = "needs_review"
    code: str | None = None
    severity: str | None = None
    document: int | None = None

    def query(self, **changes: object) -> str:
        """The URL query string for these filters with ``changes`` applied."""
        from urllib.parse import urlencode

        values: dict[str, object] = {
            "status": self.status,
            "code": self.code,
            "severity": self.severity,
            "document": self.document,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    @property
    def suffix(self) -> str:
        """``?…`` to keep a link inside this filtered queue; "" for the default queue."""
        return "" if self == QueueFilters() else "?" + self.query()

    @classmethod
    def parse(cls, query: str) -> QueueFilters:
        """Filters from a URL query string (a form page's, or htmx's HX-Current-URL);
        anything unreadable is ignored, never an error: it only steers navigation."""
        from urllib.parse import parse_qs

        values = {k: v[-1] for k, v in parse_qs(query).items() if v and v[-1]}
        document = values.get("document", "")
        return cls(
            status=values.get("status", "needs_review"),
            code=values.get("code"),
            severity=values.get("severity"),
            document=int(document) if document.isdigit() else None,
        )


@dataclass
class QueueRow:
    """One form in the queue."""

    form_id: int
    document_id: int
    path: str
    form_index: int
    form_count: int
    backend: str
    title: str
    status: str
    version: int
    updated_at: datetime
    reviewed_by: str | None
    rank: int = _NO_ITEMS_RANK
    severity: str | None = None
    codes: list[str] = field(default_factory=list)
    #: passed over since its last change: it waits at the end of the queue
    skipped: bool = False

    @property
    def sort_key(self) -> tuple[bool, int, str, int, str]:
        return (self.skipped, self.rank, self.path, self.form_index, self.backend)


@dataclass
class QueueCounts:
    """Open review items by check and severity; forms by document and status."""

    by_code: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    by_document: list[tuple[int, str, int, int]]  # id, path, waiting, total
    by_status: dict[str, int]
    open_items: int


def _item_filter(filters: QueueFilters) -> list[object]:
    conditions: list[object] = [ReviewItemRow.closed_at.is_(None)]
    if filters.code:
        conditions.append(ReviewItemRow.code == filters.code)
    if filters.severity:
        conditions.append(ReviewItemRow.severity == filters.severity)
    return conditions


def _rows(session: Session, filters: QueueFilters) -> list[QueueRow]:
    query = select(FormRow, DocumentRow.path).join(DocumentRow, DocumentRow.id == FormRow.document_id)
    if filters.status and filters.status != "all":
        query = query.where(FormRow.status == filters.status)
    if filters.document is not None:
        query = query.where(FormRow.document_id == filters.document)
    if filters.code or filters.severity:
        matching = select(ReviewItemRow.form_id).where(*_item_filter(filters))  # type: ignore[arg-type]
        query = query.where(FormRow.id.in_(matching))
    rows = {
        form.id: QueueRow(
            form_id=form.id,
            document_id=form.document_id,
            path=path,
            form_index=form.form_index,
            form_count=form.form_count,
            backend=form.backend,
            title=form.title,
            status=form.status,
            version=form.version,
            updated_at=form.updated_at,
            reviewed_by=form.reviewed_by,
        )
        for form, path in session.execute(query)
    }
    items = session.execute(
        select(ReviewItemRow.form_id, ReviewItemRow.rank, ReviewItemRow.severity, ReviewItemRow.code)
        .where(ReviewItemRow.closed_at.is_(None))
        .order_by(ReviewItemRow.rank, ReviewItemRow.id)
    )
    for form_id, rank, severity, code in items:
        row = rows.get(form_id)
        if row is None:
            continue
        if rank < row.rank:
            row.rank, row.severity = rank, severity
        if code not in row.codes:
            row.codes.append(code)
    # A skip sticks until the form changes: its row carries the version it was skipped at.
    for form_id, version in session.execute(
        select(EditRow.form_id, EditRow.to_version).where(EditRow.action == "skip")
    ):
        row = rows.get(form_id)
        if row is not None and row.version == version:
            row.skipped = True
    return sorted(rows.values(), key=lambda r: r.sort_key)


@dataclass(frozen=True)
class Progress:
    """How far the reviewers are with the forms a filter is about."""

    done: int
    total: int


def progress(store: Store, filters: QueueFilters | None = None) -> Progress:
    """ "12 of 40 done": of the forms that need (or needed) a person and match the
    filter's check / severity / document, how many are approved or rejected.

    A check filter matches items open or closed, so a form stays counted
    after its approval closed the item that put it in the queue."""
    filters = filters or QueueFilters()
    query = select(FormRow.status, func.count()).where(FormRow.status != "clean").group_by(FormRow.status)
    if filters.document is not None:
        query = query.where(FormRow.document_id == filters.document)
    if filters.code or filters.severity:
        conditions = _item_filter(filters)[1:]  # without "still open"
        query = query.where(FormRow.id.in_(select(ReviewItemRow.form_id).where(*conditions)))  # type: ignore[arg-type]
    with store.read() as session:
        by_status = {status: n for status, n in session.execute(query)}
    return Progress(done=by_status.get("approved", 0) + by_status.get("rejected", 0), total=sum(by_status.values()))


def queue(store: Store, filters: QueueFilters | None = None) -> list[QueueRow]:
    """The forms matching ``filters``, most urgent first."""
    with store.read() as session:
        return _rows(session, filters or QueueFilters())


def counts(store: Store, filters: QueueFilters | None = None) -> QueueCounts:
    """The numbers on the queue page's side bar and cards. They follow the
    filters: the status counts and cards count the forms of the filter's
    check / severity / document; the check and severity facets count within
    the document filter. The document facet always lists every document."""
    filters = filters or QueueFilters()
    with store.read() as session:
        open_items: list[Any] = [ReviewItemRow.closed_at.is_(None)]
        if filters.document is not None:
            in_document = select(FormRow.id).where(FormRow.document_id == filters.document)
            open_items.append(ReviewItemRow.form_id.in_(in_document))
        by_code = session.execute(
            select(ReviewItemRow.code, func.count()).where(*open_items).group_by(ReviewItemRow.code)
        ).all()
        by_severity = session.execute(
            select(ReviewItemRow.severity, func.count()).where(*open_items).group_by(ReviewItemRow.severity)
        ).all()
        per_doc: dict[int, Counter[str]] = defaultdict(Counter)
        paths: dict[int, str] = {}
        status_rows = session.execute(
            select(FormRow.document_id, DocumentRow.path, FormRow.status, func.count())
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .group_by(FormRow.document_id, DocumentRow.path, FormRow.status)
        ).all()
        by_status: Counter[str] = Counter()
        narrowed = filters.code or filters.severity or filters.document is not None
        if narrowed:
            query = select(FormRow.status, func.count()).group_by(FormRow.status)
            if filters.document is not None:
                query = query.where(FormRow.document_id == filters.document)
            if filters.code or filters.severity:
                matching = select(ReviewItemRow.form_id).where(*_item_filter(filters)[1:])  # type: ignore[arg-type]
                query = query.where(FormRow.id.in_(matching))
            by_status.update({status: n for status, n in session.execute(query)})
        item_conditions: list[Any] = [*open_items, *_item_filter(filters)[1:]]
        filtered_items = session.scalar(select(func.count()).select_from(ReviewItemRow).where(*item_conditions))
    for document_id, path, status, n in status_rows:
        per_doc[document_id][status] += n
        paths[document_id] = path
        if not narrowed:
            by_status[status] += n
    documents = [
        (doc_id, paths[doc_id], per_doc[doc_id]["needs_review"], sum(per_doc[doc_id].values()))
        for doc_id in sorted(per_doc, key=lambda d: paths[d])
    ]
    severity_order = {"error": 0, "warning": 1, "info": 2}
    return QueueCounts(
        by_code=sorted(((c, n) for c, n in by_code), key=lambda x: (-x[1], x[0])),
        by_severity=sorted(((s, n) for s, n in by_severity), key=lambda x: severity_order.get(x[0], 9)),
        by_document=documents,
        by_status={s: by_status.get(s, 0) for s in STATUSES},
        open_items=filtered_items or 0,
    )


def neighbours(store: Store, form_id: int, filters: QueueFilters | None = None) -> tuple[int | None, int | None]:
    """(previous, next) form in queue order around ``form_id``.

    A form that is not in the queue (just approved, say) has no previous,
    and the queue's first form is its next.
    """
    order = [row.form_id for row in queue(store, filters)]
    if form_id not in order:
        return None, order[0] if order else None
    at = order.index(form_id)
    previous = order[at - 1] if at > 0 else None
    following = order[at + 1] if at + 1 < len(order) else (order[0] if order[0] != form_id else None)
    return previous, following


@dataclass(frozen=True)
class Activity:
    """One thing a person did, for the queue page's activity list."""

    at: datetime
    reviewer: str
    action: str
    field: str | None
    form_id: int
    title: str


def recent_activity(store: Store, limit: int = 8) -> list[Activity]:
    """The latest reviewer actions across all forms (runs and skips left out)."""
    with store.read() as session:
        rows = session.execute(
            select(EditRow.at, EditRow.reviewer, EditRow.action, EditRow.field, FormRow.id, FormRow.title)
            .join(FormRow, FormRow.id == EditRow.form_id)
            .where(EditRow.action.in_(PERSON_ACTIONS))
            .order_by(EditRow.id.desc())
            .limit(limit)
        ).all()
    return [Activity(*row) for row in rows]
