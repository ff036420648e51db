"""The review queue: which forms wait, in what order, and the counts a
reviewer steers by (by check, by severity, by document, by status).

Order: skipped forms last; then the most urgent item the form entered the
queue with (extraction failures, then error findings, then backend
disagreements, then doubtful OCR); then document path and form order. The
sort key lives in ``forms.queue_*`` columns behind composite indexes, so a
page of the queue (keyset pagination: a page link carries the last key) and
a form's neighbours are index range scans, flat as the store grows. A
reviewer's edit or decision never changes a form's urgency (issue 11, item
7): the queue does not reorder under them. A run that re-extracts the form
sets it afresh; a skip sends the form to the end until its next change.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from sqlalchemy import ColumnElement, Select, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from crossfoot.review.items import NO_ITEMS_RANK
from crossfoot.review.store import Store
from crossfoot.review.tables import QUEUE_COLUMNS, DocumentRow, EditRow, FormRow, ReviewItemRow

__all__ = [
    "PAGE_SIZE",
    "STATUSES",
    "Activity",
    "Progress",
    "QueueCounts",
    "QueueFilters",
    "QueueKey",
    "QueuePage",
    "QueueRow",
    "counts",
    "neighbours",
    "progress",
    "queue",
    "queue_page",
    "recent_activity",
]

STATUSES = ("needs_review", "clean", "approved", "rejected")
#: forms on one page of the queue
PAGE_SIZE = 50
#: documents listed in the side bar (the most waiting first); the search finds the rest
DOCUMENT_FACETS = 25
#: what a person did (runs and skips left out of the activity list)
PERSON_ACTIONS = ("edit", "repair", "correct", "unprinted", "undo", "start", "approve", "reject", "reopen")
#: the ORDER BY of the queue, matching the indexes ix_forms_queue(_all)
ORDER = tuple(getattr(FormRow, name) for name in QUEUE_COLUMNS)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue page is narrowed to; empty means everything.

    ``search`` matches a project name, document path or reviewer (a part of
    it, any case) or a check code."""

    status: str = "needs_review"
    code: str | None = None
    severity: str | None = None
    document: int | None = None
    search: str | None = None

    def query(self, **changes: object) -> str:
        """The URL query string for these filters with ``changes`` applied."""
        values: dict[str, object] = {
            "status": self.status,
            "code": self.code,
            "severity": self.severity,
            "document": self.document,
            "q": self.search,
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
        values = {k: v[-1] for k, v in parse_qs(query).items() if v and v[-1]}
        document = values.get("document", "")
        return cls(
            status=values.get("status", "needs_review"),
            code=values.get("code"),
            severity=values.get("severity"),
            document=int(document) if document.isdigit() else None,
            search=(values.get("q") or "").strip()[:200] or None,
        )


@dataclass(frozen=True)
class QueueKey:
    """A form's place in the queue: the values of ``ORDER``. A page link carries
    the key of the last (or first) form shown, so the next page starts right
    after it even if forms were approved or loaded meanwhile."""

    skipped: bool
    rank: int
    path: str
    form_index: int
    backend: str
    form_id: int

    def values(self) -> tuple[bool, int, str, int, str, int]:
        return (self.skipped, self.rank, self.path, self.form_index, self.backend, self.form_id)

    def encode(self) -> str:
        return json.dumps([int(self.skipped), *self.values()[1:]], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> QueueKey | None:
        """The key from a link; None for anything unreadable (it only steers paging)."""
        try:
            skipped, rank, path, form_index, backend, form_id = json.loads(text or "")
            key = cls(bool(skipped), int(rank), str(path), int(form_index), str(backend), int(form_id))
        except (ValueError, TypeError):
            return None
        return key

    @classmethod
    def of(cls, form: FormRow) -> QueueKey:
        return cls(form.queue_skipped, form.queue_rank, form.queue_path, form.form_index, form.backend, form.id)


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
    rank: int = NO_ITEMS_RANK
    #: passed over since its last change: it waits at the end of the queue
    skipped: bool = False
    queue_path: str = ""
    #: the most urgent open item's severity, and the open items' checks
    severity: str | None = None
    codes: list[str] = field(default_factory=list)

    @property
    def key(self) -> QueueKey:
        return QueueKey(self.skipped, self.rank, self.queue_path, self.form_index, self.backend, self.form_id)

    @property
    def sort_key(self) -> tuple[bool, int, str, int, str, int]:
        return self.key.values()


@dataclass
class QueuePage:
    """One page of the queue, and the keys its "previous" / "next page" links carry."""

    rows: list[QueueRow]
    before: QueueKey | None  # "previous page": the forms before this key
    after: QueueKey | None  # "next page": the forms after this key


@dataclass
class QueueCounts:
    """Open review items by check and severity; forms by document and status."""

    by_code: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    by_document: list[tuple[int, str, int, int]]  # id, path, waiting, total
    by_status: dict[str, int]
    open_items: int
    #: documents with forms beyond the ones listed
    more_documents: int = 0


def _item_filter(filters: QueueFilters) -> list[Any]:
    conditions: list[Any] = [ReviewItemRow.closed_at.is_(None)]
    if filters.code:
        conditions.append(ReviewItemRow.code == filters.code)
    if filters.severity:
        conditions.append(ReviewItemRow.severity == filters.severity)
    return conditions


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(text: str, dialect: str) -> ColumnElement[bool]:
    """A part of the project name, document path or reviewer's name (any
    case), or a check code.

    On SQLite plain LIKE, which already ignores ASCII case: ILIKE would put
    lower() on every row and double the scan. PostgreSQL's LIKE minds case,
    so there ILIKE."""
    like = _like(text)

    def contains(column: Any) -> ColumnElement[bool]:
        if dialect == "sqlite":
            return column.like(like, escape="\\")  # type: ignore[no-any-return]
        return column.ilike(like, escape="\\")  # type: ignore[no-any-return]

    return or_(
        contains(FormRow.title),
        contains(FormRow.queue_path),
        contains(FormRow.reviewed_by),
        FormRow.id.in_(select(ReviewItemRow.form_id).where(ReviewItemRow.code == text.strip())),
    )


def _form_conditions(filters: QueueFilters, dialect: str, *, open_only: bool = True) -> list[Any]:
    """WHERE conditions on ``forms`` for a filter. ``open_only=False``: a check filter
    matches items open or closed (progress counts a form after its approval closed it)."""
    conditions: list[Any] = []
    if filters.status and filters.status != "all":
        conditions.append(FormRow.status == filters.status)
    if filters.document is not None:
        conditions.append(FormRow.document_id == filters.document)
    if filters.code or filters.severity:
        items = _item_filter(filters)[(0 if open_only else 1) :]
        conditions.append(FormRow.id.in_(select(ReviewItemRow.form_id).where(*items)))
    if filters.search:
        conditions.append(_search(filters.search, dialect))
    return conditions


def _row_query(filters: QueueFilters, dialect: str) -> Select[FormRow, str]:
    return (
        select(FormRow, DocumentRow.path)
        .join(DocumentRow, DocumentRow.id == FormRow.document_id)
        .where(*_form_conditions(filters, dialect))
    )


def _rows(session: Session, query: Select[FormRow, str]) -> list[QueueRow]:
    """QueueRows for the forms ``query`` selects (in its order), with their open items."""
    rows = [
        QueueRow(
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
            rank=form.queue_rank,
            skipped=form.queue_skipped,
            queue_path=form.queue_path,
        )
        for form, path in session.execute(query)
    ]
    by_id = {row.form_id: row for row in rows}
    # the page's open items only: a batch of ids at a time (SQLite's parameter limit)
    ids = list(by_id)
    for begin in range(0, len(ids), 500):
        items = session.execute(
            select(ReviewItemRow.form_id, ReviewItemRow.severity, ReviewItemRow.code)
            .where(ReviewItemRow.closed_at.is_(None), ReviewItemRow.form_id.in_(ids[begin : begin + 500]))
            .order_by(ReviewItemRow.rank, ReviewItemRow.id)
        )
        for form_id, severity, code in items:
            row = by_id[form_id]
            row.severity = row.severity or severity
            if code not in row.codes:
                row.codes.append(code)
    return rows


def _after(key: QueueKey) -> ColumnElement[bool]:
    return tuple_(*ORDER) > tuple_(*key.values())


def _before(key: QueueKey) -> ColumnElement[bool]:
    return tuple_(*ORDER) < tuple_(*key.values())


def queue_page(
    store: Store,
    filters: QueueFilters | None = None,
    *,
    after: QueueKey | None = None,
    before: QueueKey | None = None,
    size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue: the ``size`` forms after ``after`` (or before
    ``before``), in queue order. Keyset pagination: each page is one index
    range scan, whatever page it is and however big the store."""
    query = _row_query(filters or QueueFilters(), store.engine.dialect.name)
    with store.read() as session:
        if before is not None:
            found = _rows(session, query.where(_before(before)).order_by(*(c.desc() for c in ORDER)).limit(size + 1))
            more_before, rows = len(found) > size, found[:size][::-1]
            return QueuePage(rows, rows[0].key if more_before and rows else None, rows[-1].key if rows else None)
        if after is not None:
            query = query.where(_after(after))
        found = _rows(session, query.order_by(*ORDER).limit(size + 1))
    rows = found[:size]
    more_after = len(found) > size
    return QueuePage(
        rows, rows[0].key if after is not None and rows else None, rows[-1].key if more_after and rows else None
    )


def queue(store: Store, filters: QueueFilters | None = None) -> list[QueueRow]:
    """Every form matching ``filters``, in queue order (scripts and tests;
    the app pages through ``queue_page``)."""
    with store.read() as session:
        return _rows(session, _row_query(filters or QueueFilters(), store.engine.dialect.name).order_by(*ORDER))


@dataclass(frozen=True)
class Progress:
    """How far the reviewers are with the forms a filter is about."""

    done: int
    total: int

    @classmethod
    def of(cls, by_status: dict[str, int]) -> Progress:
        """From the forms by status (the clean ones never needed a person)."""
        done = by_status.get("approved", 0) + by_status.get("rejected", 0)
        return cls(done=done, total=done + by_status.get("needs_review", 0))


def progress(store: Store, filters: QueueFilters | None = None) -> Progress:
    """ "12 of 40 done": of the forms that need (or needed) a person and match the
    filter's check / severity / document / search, how many are approved or rejected.

    A check filter matches items open or closed, so a form stays counted
    after its approval closed the item that put it in the queue."""
    filters = filters or QueueFilters()
    every_status = QueueFilters("all", filters.code, filters.severity, filters.document, filters.search)
    query = (
        select(FormRow.status, func.count())
        .where(FormRow.status.in_(("needs_review", "approved", "rejected")))
        .where(*_form_conditions(every_status, store.engine.dialect.name, open_only=False))
        .group_by(FormRow.status)
    )
    with store.read() as session:
        return Progress.of(dict(session.execute(query).all()))


def counts(store: Store, filters: QueueFilters | None = None) -> QueueCounts:
    """The numbers on the queue page's side bar and cards, each one GROUP BY
    in the database. They follow the filters: the status counts and cards
    count the forms of the filter's check / severity / document / search; the
    check and severity facets count within the document filter. The document
    facet lists the documents with the most forms waiting."""
    filters = filters or QueueFilters()
    with store.read() as session:
        open_items: list[Any] = [ReviewItemRow.closed_at.is_(None)]
        if filters.document is not None:
            in_document = select(FormRow.id).where(FormRow.document_id == filters.document)
            open_items.append(ReviewItemRow.form_id.in_(in_document))
        # one pass over the open items (a covering index): by check, by severity, and the filter's count
        facets = session.execute(
            select(ReviewItemRow.severity, ReviewItemRow.code, func.count())
            .where(*open_items)
            .group_by(ReviewItemRow.severity, ReviewItemRow.code)
        ).all()
        every_status = QueueFilters("all", filters.code, filters.severity, filters.document, filters.search)
        status_query = select(FormRow.status, func.count()).group_by(FormRow.status)
        matching = _form_conditions(every_status, store.engine.dialect.name, open_only=False)
        by_status = dict(session.execute(status_query.where(*matching)).all())
        documents, more = _document_facet(session, filters.document)
    by_code: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    filtered_items = 0
    for severity, code, n in facets:
        by_code[code] += n
        by_severity[severity] += n
        if filters.code in (None, code) and filters.severity in (None, severity):
            filtered_items += n
    severity_order = {"error": 0, "warning": 1, "info": 2}
    return QueueCounts(
        by_code=sorted(by_code.items(), key=lambda x: (-x[1], x[0])),
        by_severity=sorted(by_severity.items(), key=lambda x: severity_order.get(x[0], 9)),
        by_document=documents,
        by_status={s: by_status.get(s, 0) for s in STATUSES},
        open_items=filtered_items,
        more_documents=more,
    )


def _document_facet(session: Session, chosen: int | None) -> tuple[list[tuple[int, str, int, int]], int]:
    """The documents with the most forms waiting (and the chosen one), as
    (id, path, waiting, total) by path; and how many documents are left out."""
    shown = set(
        session.scalars(
            select(FormRow.document_id)
            .where(FormRow.status == "needs_review")
            .group_by(FormRow.document_id)
            .order_by(func.count().desc(), FormRow.document_id)
            .limit(DOCUMENT_FACETS)
        )
    )
    if chosen is not None:
        shown.add(chosen)
    if len(shown) < DOCUMENT_FACETS:  # a small store: every document, waiting or not
        shown |= set(session.scalars(select(DocumentRow.id).order_by(DocumentRow.path).limit(DOCUMENT_FACETS)))
    waiting = func.sum(case((FormRow.status == "needs_review", 1), else_=0))
    facet = session.execute(
        select(FormRow.document_id, DocumentRow.path, waiting, func.count())
        .join(DocumentRow, DocumentRow.id == FormRow.document_id)
        .where(FormRow.document_id.in_(shown))
        .group_by(FormRow.document_id, DocumentRow.path)
        .order_by(DocumentRow.path)
    ).all()
    all_documents = session.scalar(select(func.count()).select_from(DocumentRow)) or 0
    return [(d, p, int(w or 0), t) for d, p, w, t in facet], max(0, all_documents - len(facet))


def neighbours(store: Store, form_id: int, filters: QueueFilters | None = None) -> tuple[int | None, int | None]:
    """(previous, next) form in queue order around ``form_id``: two indexed
    ``ORDER BY … LIMIT 1`` queries inside the filter, from the form's key.

    A form that is not in the filtered queue (just approved, say) keeps its
    place: Next is the form after where it was. Past the last form, Next goes
    back to the first.
    """
    conditions = _form_conditions(filters or QueueFilters(), store.engine.dialect.name)
    with store.read() as session:
        form = session.get(FormRow, form_id)
        if form is None:
            return None, None
        key = QueueKey.of(form)
        first = select(FormRow.id).where(*conditions)
        previous = session.scalar(first.where(_before(key)).order_by(*(c.desc() for c in ORDER)).limit(1))
        following = session.scalar(first.where(_after(key)).order_by(*ORDER).limit(1))
        if following is None:
            following = session.scalar(first.order_by(*ORDER).limit(1))
    return previous, following if following != form_id else None


@dataclass(frozen=True)
class Activity:
    """One thing a person did, for the queue page's activity list."""

    at: datetime
    reviewer: str
    action: str
    field: str | None
    form_id: int
    title: str


#: how far back in the trail the activity list looks: a bounded scan, however long the trail
ACTIVITY_WINDOW = 5000


def recent_activity(store: Store, limit: int = 8) -> list[Activity]:
    """The latest reviewer actions across all forms (runs and skips left out),
    among the trail's last ``ACTIVITY_WINDOW`` rows."""
    with store.read() as session:
        newest = session.scalar(select(func.max(EditRow.id))) or 0
        rows = session.execute(
            select(EditRow.at, EditRow.reviewer, EditRow.action, EditRow.field, FormRow.id, FormRow.title)
            .join(FormRow, FormRow.id == EditRow.form_id)
            .where(EditRow.id > newest - ACTIVITY_WINDOW, EditRow.action.in_(PERSON_ACTIONS))
            .order_by(EditRow.id.desc())
            .limit(limit)
        ).all()
    return [Activity(*row) for row in rows]
