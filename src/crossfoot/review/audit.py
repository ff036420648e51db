"""The tamper-evident audit trail: hash chains over ``edits`` and ``record_versions``.

Triggers make both tables append-only for anyone who goes through SQL
politely; the chains make any change that gets past them visible. Each row
stores ``prev_hash`` (the hash of the row written just before it in the same
table) and ``hash`` = sha256 over that and the row's own content, a record
version's whole record included. Rewriting, deleting or reordering a row
breaks the link after it; ``verify`` walks both chains in id order and names
the first broken link, then checks that every form's trail accounts for each
version the form claims.

Rows are only ever written through ``append_edit`` and ``append_version``
(one row) or ``append_many`` (a run's rows in one multi-row INSERT, hashed
here in order first), inside a write transaction, which the store serialises (SQLite's ``BEGIN
IMMEDIATE``, a PostgreSQL advisory lock), so the chain never forks.

What a chain cannot show by itself is a cut-off tail: record the head hashes
``verify`` prints somewhere else (a ticket, the run log) to pin them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any, TypeVar

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from crossfoot.errors import StoreError
from crossfoot.review.tables import Base, EditRow, FormRow, RecordVersionRow, utcnow

__all__ = [
    "EDIT_FIELDS",
    "GENESIS",
    "VERSION_FIELDS",
    "AuditReport",
    "Encoded",
    "append_edit",
    "append_many",
    "append_version",
    "canonical_json",
    "canonical_object",
    "chain_hash",
    "column_json",
    "insert_rows",
    "plain",
    "table_of",
    "verify_session",
]

Row = TypeVar("Row", EditRow, RecordVersionRow)

#: the ``prev_hash`` of the first row of each chain
GENESIS = "0" * 64
#: what each row's hash covers, besides its predecessor's hash
EDIT_FIELDS = (
    "form_id",
    "at",
    "reviewer",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
    "from_version",
    "to_version",
)
VERSION_FIELDS = (
    "form_id",
    "number",
    "origin",
    "record",
    "provenance",
    "error",
    "meta",
    "extraction_hash",
    "created_at",
    "created_by",
)


def _canonical(value: Any) -> Any:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_json(value: Any) -> str:
    """The JSON text the chains hash: keys sorted, no spaces, characters as they are."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_object(members: dict[str, str]) -> str:
    """``canonical_json`` of an object whose members' texts are already made:
    the encoder writes an object as exactly this, so a big value (a record,
    its provenance) need not be encoded again for each hash it is part of."""
    return "{" + ",".join(f"{canonical_json(key)}:{members[key]}" for key in sorted(members)) + "}"


@dataclass(frozen=True, slots=True)
class Encoded:
    """A JSON value with its ``canonical_json`` text, encoded once. A bulk
    load hashes a record version with the text and stores the value."""

    value: Any
    text: str

    @classmethod
    def of(cls, value: Any) -> Encoded:
        return cls(value, canonical_json(value))


def plain(value: Any) -> Any:
    """The value itself, where it may be ``Encoded``."""
    return value.value if isinstance(value, Encoded) else value


def column_json(value: Any) -> str:
    """What the store writes in a JSON column (its engines' serializer): the
    text an ``Encoded`` value already has, else what SQLAlchemy writes by
    default (``json.dumps``: ASCII escapes, so a lone surrogate in a
    document's text still stores, as it always did)."""
    return value.text if isinstance(value, Encoded) else json.dumps(value)


def chain_hash(table: str, prev_hash: str, values: dict[str, Any]) -> str:
    """sha256 over the table name, the predecessor's hash and the row's content:
    ``canonical_json`` of them as one object (an ``Encoded`` value brings its text)."""
    payload = {"table": table, "prev": prev_hash, **values}
    members = {
        key: value.text if isinstance(value, Encoded) else canonical_json(_canonical(value))
        for key, value in payload.items()
    }
    return hashlib.sha256(canonical_object(members).encode("utf-8")).hexdigest()


def _head(session: Session, row_type: type[EditRow] | type[RecordVersionRow]) -> str:
    """The newest row's hash. The store serialises writers, so within one
    write transaction the head only moves by our own appends: remember it."""
    key = ("crossfoot_chain_head", row_type.__tablename__)
    if key not in session.info:
        last = session.scalar(select(row_type.hash).order_by(row_type.id.desc()).limit(1))
        session.info[key] = last or GENESIS
    head: str = session.info[key]
    return head


_CHAINS: dict[type[Any], tuple[str, tuple[str, ...], str]] = {
    EditRow: ("edits", EDIT_FIELDS, "at"),
    RecordVersionRow: ("record_versions", VERSION_FIELDS, "created_at"),
}


def _append(session: Session, row_type: type[Row], **values: Any) -> Row:
    table, names, stamp = _CHAINS[row_type]
    values = {name: plain(value) for name, value in values.items()}
    values.setdefault(stamp, utcnow())
    row = row_type(**values)
    content = {name: getattr(row, name) for name in names}
    row.prev_hash = _head(session, row_type)
    row.hash = chain_hash(table, row.prev_hash, content)
    session.add(row)
    session.flush()
    session.info[("crossfoot_chain_head", table)] = row.hash
    return row


def append_edit(session: Session, **values: Any) -> EditRow:
    """Add one audit row, chained to the newest one."""
    return _append(session, EditRow, **values)


def append_version(session: Session, **values: Any) -> RecordVersionRow:
    """Add one record version, chained to the newest one."""
    return _append(session, RecordVersionRow, **values)


def table_of(row_type: type[Base]) -> Table:
    """A model's Core table, for bulk statements that skip the ORM's per-row work."""
    return Base.metadata.tables[row_type.__tablename__]


def insert_rows(session: Session, row_type: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` with one multi-row statement (batched); their ids, in order.

    PostgreSQL numbers them through ``INSERT ... RETURNING`` in row order.
    SQLite promises no order for RETURNING, so SQLAlchemy would fall back to
    one INSERT per row; the store's writers hold SQLite's write lock (``BEGIN
    IMMEDIATE``) for the whole transaction, so the largest id cannot move
    under us and the rows are numbered here, exactly as SQLite would.
    """
    target = table_of(row_type)
    if session.get_bind().dialect.name == "sqlite":
        top = session.scalar(select(func.max(target.c.id))) or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
        for row_id, values in zip(ids, rows, strict=True):
            values["id"] = row_id
        session.execute(insert(target), rows)
        return ids
    return list(session.scalars(insert(target).returning(target.c.id, sort_by_parameter_order=True), rows))


def append_many(session: Session, row_type: type[Row], rows: list[dict[str, Any]]) -> list[int]:
    """Add many rows to one chain with a single multi-row INSERT; their ids, in order.

    The hashes are computed here, row after row, exactly as ``append_edit``
    and ``append_version`` would; ``rows`` gain ``prev_hash`` and ``hash``.
    The ids come back in the order of ``rows``, and the store's writer lock
    keeps anyone else's rows out from between them, so id order (which
    ``verify`` walks) is chain order; checked, because a fork is unrecoverable.
    """
    if not rows:
        return []
    table, names, stamp = _CHAINS[row_type]
    session.flush()  # rows an ORM append left pending come first in the chain
    prev = _head(session, row_type)
    now = utcnow()
    for values in rows:
        values.setdefault(stamp, now)
        for name in names:
            values.setdefault(name, None)
        values["prev_hash"] = prev
        prev = values["hash"] = chain_hash(table, prev, {name: values[name] for name in names})
        for name in names:
            if isinstance(values[name], Encoded) and values[name].value is None:
                values[name] = None  # SQL NULL, as the column says; other values keep their text
    ids = insert_rows(session, row_type, rows)
    if len(ids) != len(rows) or any(later <= earlier for earlier, later in pairwise(ids)):
        raise StoreError(f"{table}: a bulk insert did not keep its rows in order; nothing was saved")
    session.info[("crossfoot_chain_head", table)] = prev
    return ids


@dataclass
class AuditReport:
    """What ``verify`` found: counts, head hashes, and the first problem."""

    edits: int = 0
    record_versions: int = 0
    forms: int = 0
    edits_head: str = GENESIS
    record_versions_head: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _walk(
    session: Session, row_type: type[Row], table: str, names: tuple[str, ...]
) -> Iterator[tuple[int, str | None]]:
    """(id, problem or None) for each row in id order."""
    expected_prev = GENESIS
    rows: Iterator[Row] = iter(session.scalars(select(row_type).order_by(row_type.id).execution_options(yield_per=500)))
    for row in rows:
        if row.prev_hash != expected_prev:
            yield row.id, f"{table} row {row.id}: its link to the row before is broken (a row removed, added or moved)"
            return
        content = {name: getattr(row, name) for name in names}
        if row.hash != chain_hash(table, expected_prev, content):
            yield row.id, f"{table} row {row.id} (form {row.form_id}): changed after it was written (hash mismatch)"
            return
        expected_prev = row.hash
        yield row.id, None


def _versions_accounted(session: Session) -> str | None:
    """Each form's trail must hold one version step per version it shows."""
    steps = (
        select(EditRow.form_id, func.count(func.distinct(EditRow.to_version)), func.max(EditRow.to_version))
        .where(EditRow.from_version != EditRow.to_version)
        .group_by(EditRow.form_id)
    )
    trail = {form_id: (count, top) for form_id, count, top in session.execute(steps)}
    numbers = select(RecordVersionRow.form_id, func.count(), func.max(RecordVersionRow.number)).group_by(
        RecordVersionRow.form_id
    )
    versions = {form_id: (count, top) for form_id, count, top in session.execute(numbers)}
    for form_id, version, record_number in session.execute(
        select(FormRow.id, FormRow.version, FormRow.record_number).order_by(FormRow.id)
    ):
        if trail.get(form_id) != (version, version):
            count, top = trail.get(form_id, (0, 0))
            return f"form {form_id}: is at version {version} but its trail has {count} steps up to {top}"
        if versions.get(form_id) != (record_number, record_number):
            count, top = versions.get(form_id, (0, 0))
            return f"form {form_id}: shows record version {record_number} but {count} versions up to {top} are stored"
    return None


def verify_session(session: Session) -> AuditReport:
    """Walk both chains and the per-form accounting; stop each at its first break."""
    report = AuditReport()
    for row_type, (table, names, _) in _CHAINS.items():
        count = 0
        for _, problem in _walk(session, row_type, table, names):
            if problem:
                report.problems.append(problem)
                break
            count += 1
        setattr(report, table, count)
        setattr(report, f"{table}_head", _head(session, row_type))
    report.forms = session.scalar(select(func.count()).select_from(FormRow)) or 0
    accounting = _versions_accounted(session)
    if accounting:
        report.problems.append(accounting)
    return report
