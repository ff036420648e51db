"""The review store: connecting, migrating, and loading a run's results.

SQLite (a file, the default) and PostgreSQL (by URL) behave the same: write
transactions are serialised. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of
failing on a lock upgrade, and the file runs in WAL mode so readers never
wait for a writer; on PostgreSQL each takes one transaction-scoped advisory
lock first. Serial writers keep the audit hash chains linear (``audit.py``),
make concurrent loads of the same run idempotent, and cannot deadlock.
Write transactions are short: a load commits at least every LOAD_CHUNK
forms, so a reviewer's save never waits behind a whole run.

A load is bulk work (issue 12): each chunk of a document's forms costs a
fixed handful of statements, whatever its size. Existing forms, their last
extraction hashes and whether a person touched them are one query each; new
forms, their record versions, findings, review items and audit rows are one
multi-row INSERT per table, the audit hash chains computed here in order
(``audit.append_many``). Only a form whose extraction changed takes the
per-form path (compare-and-set, ``sync_items``), which is rare.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, Text, cast, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from crossfoot.errors import ConflictError, StoreError
from crossfoot.ingest.document import Document
from crossfoot.model import Envelope
from crossfoot.review.audit import (
    Encoded,
    append_edit,
    append_many,
    append_version,
    canonical_json,
    canonical_object,
    column_json,
    insert_rows,
    table_of,
)
from crossfoot.review.items import (
    NO_ITEMS_RANK,
    ItemSpec,
    finding_rows,
    has_open_items,
    item_values,
    open_items_for,
    store_findings,
    sync_items,
)
from crossfoot.review.tables import (
    DocumentRow,
    EditRow,
    FindingRow,
    FormRow,
    RecordVersionRow,
    ReviewItemRow,
    RunRow,
    utcnow,
)

__all__ = [
    "HUMAN_ACTIONS",
    "SYSTEM_ACTOR",
    "LoadSummary",
    "Store",
    "StoreBusyError",
    "bump_version",
    "current_version",
    "get_form",
    "load_run",
    "normalize_db_url",
]

MIGRATIONS = Path(__file__).with_name("migrations")
#: who the audit trail names for what a run loaded
SYSTEM_ACTOR = "crossfoot run"
#: audit actions that mean a person has worked on the form
HUMAN_ACTIONS = frozenset({"edit", "repair", "start", "approve", "reject", "reopen"})
_WRITE = "crossfoot_write"
#: the PostgreSQL advisory lock every write transaction holds (SQLite: BEGIN IMMEDIATE)
_WRITE_LOCK = 4242002
#: forms per load transaction: bulk inserts make a chunk a few milliseconds
LOAD_CHUNK = 200
#: after this long of back-to-back load transactions, SQLite gets a gap
LOAD_TRANSACTION_S = 0.1
#: and leaves SQLite this long between two transactions: SQLite's busy handler
#: polls, so without a gap a waiting reviewer could starve behind a long load
SQLITE_GAP_S = 0.02


class StoreBusyError(StoreError):
    """Another process held the store's write lock for longer than we wait."""


def get_form(session: Session, form_id: int) -> FormRow:
    """The form with this id; StoreError when there is none."""
    form = session.get(FormRow, form_id)
    if form is None:
        raise StoreError(f"no form {form_id} in the store")
    return form


def current_version(session: Session, form: FormRow) -> RecordVersionRow:
    """The record version a form currently shows."""
    row = session.scalar(
        select(RecordVersionRow).where(
            RecordVersionRow.form_id == form.id, RecordVersionRow.number == form.record_number
        )
    )
    assert row is not None, "a form always has its current record version"
    return row


def bump_version(session: Session, form: FormRow, seen: int, **values: Any) -> None:
    """The compare-and-set every write to a form makes: only one writer moves
    it off ``seen``; anyone else gets ConflictError and changes nothing."""
    result = session.execute(
        update(FormRow)
        .where(FormRow.id == form.id, FormRow.version == seen)
        .values(version=seen + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(FormRow.version).where(FormRow.id == form.id)) or seen
        raise ConflictError(f"form {form.id} changed while saving", current_version=current)


def _is_busy(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for memory or another database."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return None if not database or database == ":memory:" else Path(database)


def normalize_db_url(value: str) -> str:
    """A URL, or a plain path meaning a SQLite file; ``postgresql://`` uses psycopg 3."""
    if "://" not in value:
        return f"sqlite:///{value}"
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return value


def _sqlite_engine(url: str, busy_timeout_s: float) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
        poolclass=StaticPool if memory else None,
        json_serializer=column_json,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def make_engine(url: str, busy_timeout_s: float = 30.0) -> Engine:
    """An engine for a normalised URL, tuned for a few concurrent reviewers."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_s)
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_serializer=column_json)


def _script_head() -> str | None:
    """The newest migration's revision, read from the scripts' text (no
    Alembic import); None when the scripts do not form one line."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(re.findall(r'^(revision|down_revision) = "([^"]+)"', script.read_text("utf-8"), re.MULTILINE))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision", ""))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(engine: Engine) -> bool:
    """Whether the store is already at the newest schema: the common case,
    checked with one query, so opening a store does not import and run Alembic
    (a fixed second of every `run`)."""
    head = _script_head()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [head]
    except SQLAlchemyError:  # a new database: no alembic_version table yet
        return False


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**{_WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting at once must not both create the tables.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


class Store:
    """A connection pool to one review database, migrated on open.

    ``must_exist`` is for commands that only read a store (export, promote,
    audit, review): a mistyped SQLite path is an error, not a new empty
    database. ``busy_timeout_s`` is how long a SQLite write waits for the lock.
    """

    def __init__(
        self, url: str, *, run_migrations: bool = True, must_exist: bool = False, busy_timeout_s: float = 30.0
    ) -> None:
        self.url = normalize_db_url(url)
        path = sqlite_path(self.url)
        if must_exist and path is not None and not path.is_file():
            raise StoreError(f"{path}: no review store there (check --db; nothing was created)")
        try:
            self.engine = make_engine(self.url, busy_timeout_s)
            self._writer = self.engine.execution_options(**{_WRITE: True})
            if run_migrations:
                migrate(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the review store: {exc.__class__.__name__}: {exc}") from exc
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one transaction, committed on success.

        Raises StoreBusyError when SQLite's write lock stays taken for longer
        than the busy timeout (a message to retry, never a crash).
        """
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                if not self.is_sqlite:
                    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITE_LOCK})
                yield session
        except OperationalError as exc:
            if _is_busy(exc):
                raise StoreBusyError(
                    "the review store is busy (another process is writing to it); nothing was saved, try again"
                ) from exc
            raise

    @property
    def display_url(self) -> str:
        """The URL without its password, for pages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


class LoadSummary(BaseModel):
    """What one `load_run` did to the store."""

    run_id: int
    documents_new: int = 0
    documents_seen: int = 0
    forms_new: int = 0
    forms_reextracted: int = 0
    forms_unchanged: int = 0
    forms_kept_reviewed: int = 0
    items_opened: int = 0
    needs_review: int = 0

    def describe(self) -> str:
        """One line for the CLI."""
        return (
            f"review store: {self.forms_new} new forms, {self.forms_reextracted} re-extracted, "
            f"{self.forms_unchanged} unchanged, {self.forms_kept_reviewed} kept (already reviewed); "
            f"{self.items_opened} review items opened; {self.needs_review} forms await review"
        )


class _Extracted:
    """An envelope's stored parts, dumped and encoded once: the record
    version's columns, its chain hash and the hash that recognises an
    unchanged re-run (``digest``) all come from them."""

    __slots__ = ("_data", "digest", "env", "provenance", "record")

    def __init__(self, env: Envelope) -> None:
        data = env.model_dump(mode="json", include={"backend", "record", "provenance", "findings", "error"})
        self.env = env
        self._data = data
        self.record = Encoded.of(data.get("record"))
        self.provenance = Encoded.of(data.get("provenance", {}))
        # What the extractor said, hashed; ``meta`` (timings, usage) is left out.
        members = {key: canonical_json(value) for key, value in data.items() if key not in ("record", "provenance")}
        members |= {"record": self.record.text, "provenance": self.provenance.text}
        self.digest = hashlib.sha256(canonical_object(members).encode()).hexdigest()

    def matches(self, stored: str | None) -> bool:
        """Whether a stored extraction hash is this extraction's. Stores loaded
        before this release hold the hash of the same data encoded with
        spaces (json.dumps' default separators): recognised too, encoded only
        for a form whose hash is not the new one."""
        if stored is None:
            return False
        if stored == self.digest:
            return True
        legacy = json.dumps(self._data, sort_keys=True, ensure_ascii=False).encode()
        return stored == hashlib.sha256(legacy).hexdigest()


def _crossfoot_version() -> str:
    try:
        return version("crossfoot")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


def _document_id(session: Session, sha256: str, envelope: Envelope, document: Document | None) -> tuple[int, bool]:
    """(the document row's id, whether it is new). Its lines are only read back
    as a length: parsing a big document's text on every load is what made the
    load grow with the store."""
    found = session.execute(
        select(DocumentRow.id, func.length(cast(DocumentRow.lines, Text))).where(DocumentRow.sha256 == sha256)
    ).first()
    if found is not None:
        row_id, length = found
        if (length or 0) <= len("[]") and document is not None:  # first loaded without its text
            session.execute(update(DocumentRow).where(DocumentRow.id == row_id).values(lines=_lines_json(document)))
        return row_id, False
    row = {
        "sha256": sha256,
        "path": document.path if document else envelope.source.path,
        "kind": document.kind if document else envelope.source.kind,
        "encoding": document.encoding if document else envelope.source.encoding,
        "lines": _lines_json(document) if document else [],
        "added_at": utcnow(),
    }
    return insert_rows(session, DocumentRow, [row])[0], True


def _lines_json(document: Document) -> list[Any]:
    return [[line.number, line.page, [cell.text for cell in line.cells]] for line in document.lines]


def _unique(specs: list[ItemSpec]) -> list[ItemSpec]:
    """One item per key, the first one's message (as ``sync_items`` opens them)."""
    seen: dict[tuple[str, str, tuple[str, ...]], ItemSpec] = {}
    for spec in specs:
        seen.setdefault(spec.key, spec)
    return list(seen.values())


def _insert_new_forms(session: Session, document_id: int, extracted: list[_Extracted]) -> int:
    """Many new forms with their first record version, findings, review items
    and ``extract`` audit rows: one multi-row INSERT per table, the chains
    hashed in order here. Returns how many review items were opened."""
    now = utcnow()
    envelopes = [one.env for one in extracted]
    wanted = [_unique(open_items_for(env.findings, env.error)) for env in envelopes]
    # the queue's order (forms.queue_*), as sync_items sets it on the per-form path
    queue_path = session.scalar(select(DocumentRow.path).where(DocumentRow.id == document_id)) or ""
    form_ids = insert_rows(
        session,
        FormRow,
        [
            {
                "document_id": document_id,
                "form_index": env.source.form_index,
                "form_count": env.source.form_count,
                "backend": env.backend,
                "template": env.source.template,
                "title": env.record.project_name if env.record else "",
                "first_line": env.source.first_line,
                "last_line": env.source.last_line,
                "status": "needs_review" if specs else "clean",
                "queue_rank": min((spec.rank for spec in specs), default=NO_ITEMS_RANK),
                "queue_path": queue_path,
                "version": 1,
                "record_number": 1,
                "created_at": now,
                "updated_at": now,
            }
            for env, specs in zip(envelopes, wanted, strict=True)
        ],
    )
    version_ids = append_many(
        session,
        RecordVersionRow,
        [_version_values(form_id, one, number=1, at=now) for form_id, one in zip(form_ids, extracted, strict=True)],
    )
    findings = [
        row
        for version_id, env in zip(version_ids, envelopes, strict=True)
        for row in finding_rows(version_id, env.findings)
    ]
    if findings:
        session.execute(insert(table_of(FindingRow)), findings)
    items = [
        item_values(form_id, spec, opened_at=now, version=1)
        for form_id, specs in zip(form_ids, wanted, strict=True)
        for spec in specs
    ]
    if items:
        session.execute(insert(table_of(ReviewItemRow)), items)
    append_many(
        session,
        EditRow,
        [
            {"form_id": form_id, "at": now, "reviewer": SYSTEM_ACTOR, "action": "extract"}
            | {"from_version": 0, "to_version": 1}
            for form_id in form_ids
        ],
    )
    return len(items)


def _version_values(form_id: int, one: _Extracted, *, number: int, at: datetime) -> dict[str, Any]:
    return {
        "form_id": form_id,
        "number": number,
        "origin": "extraction",
        "record": one.record,
        "provenance": one.provenance,
        "error": one.env.error,
        "meta": one.env.meta,
        "extraction_hash": one.digest,
        "created_at": at,
        "created_by": SYSTEM_ACTOR,
    }


def _reextract(session: Session, form: FormRow, one: _Extracted) -> int:
    env = one.env
    seen, number = form.version, form.record_number + 1
    # The compare-and-set comes first: if a reviewer moved the form since we
    # read it, nothing below runs and their work stands.
    bump_version(
        session,
        form,
        seen,
        record_number=number,
        title=env.record.project_name if env.record else form.title,
        first_line=env.source.first_line,
        last_line=env.source.last_line,
    )
    version_row = append_version(session, **_version_values(form.id, one, number=number, at=utcnow()))
    store_findings(session, version_row.id, env.findings)
    wanted = open_items_for(env.findings, env.error)
    opened = sync_items(session, form, wanted, actor=SYSTEM_ACTOR, resolution="superseded")
    append_edit(
        session,
        form_id=form.id,
        reviewer=SYSTEM_ACTOR,
        action="reextract",
        reason="the extractor's output changed",
        from_version=seen,
        to_version=seen + 1,
    )
    form.status = "needs_review" if opened or has_open_items(session, form.id) else "clean"
    return opened


def _last_extraction_hashes(session: Session, form_ids: list[int]) -> dict[int, str | None]:
    """Each form's newest extraction hash, in one query."""
    query = (
        select(RecordVersionRow.form_id, RecordVersionRow.extraction_hash)
        .where(RecordVersionRow.form_id.in_(form_ids), RecordVersionRow.origin == "extraction")
        .order_by(RecordVersionRow.form_id, RecordVersionRow.number)
    )
    return {form_id: digest for form_id, digest in session.execute(query)}  # the newest number of each form comes last


def _reviewed(session: Session, form_ids: list[int]) -> set[int]:
    """The forms a person has worked on, in one query."""
    query = select(EditRow.form_id).where(EditRow.form_id.in_(form_ids), EditRow.action.in_(HUMAN_ACTIONS))
    return set(session.scalars(query.distinct()))


def _load_chunk(session: Session, document_id: int, envelopes: list[Envelope], summary: LoadSummary) -> None:
    """Some forms of one document, in one transaction, with a fixed number of
    statements however many forms: new forms go in as multi-row INSERTs; a
    re-run of an unchanged form writes nothing."""
    # Locked from here to commit, so "nobody reviewed it" still holds when we write.
    existing = {
        (form.form_index, form.backend): form
        for form in session.scalars(
            select(FormRow)
            .where(
                FormRow.document_id == document_id,
                FormRow.form_index.in_({env.source.form_index for env in envelopes}),
            )
            .with_for_update()
        )
    }
    new: list[_Extracted] = []
    changed: list[tuple[FormRow, _Extracted]] = []
    hashes = _last_extraction_hashes(session, [form.id for form in existing.values()]) if existing else {}
    for env in envelopes:
        form = existing.get((env.source.form_index, env.backend))
        one = _Extracted(env)
        if form is None:
            new.append(one)
        elif one.matches(hashes.get(form.id)):
            summary.forms_unchanged += 1
        else:
            changed.append((form, one))
    if new:
        summary.items_opened += _insert_new_forms(session, document_id, new)
        summary.forms_new += len(new)
    reviewed = _reviewed(session, [form.id for form, _ in changed]) if changed else set()
    for form, one in changed:
        if form.id in reviewed:
            # Never overwrite a reviewer's work; the new extraction is only counted.
            summary.forms_kept_reviewed += 1
            continue
        try:
            summary.items_opened += _reextract(session, form, one)
        except ConflictError:
            summary.forms_kept_reviewed += 1  # someone got there first; theirs stands
            continue
        summary.forms_reextracted += 1


class RunLoader:
    """Loads one run document by document, so an interrupted run has already
    stored every document it finished (the CLI loads before it writes JSONL)."""

    def __init__(self, store: Store, backends: str) -> None:
        self.store = store
        with store.write() as session:
            run = RunRow(backends=backends, crossfoot_version=_crossfoot_version(), summary={})
            session.add(run)
            session.flush()
            self.summary = LoadSummary(run_id=run.id)
        self._held = 0.0  # seconds of writing since others last had a gap
        self._last_end = time.monotonic()

    def add(self, document: Document | None, envelopes: list[Envelope]) -> None:
        """One document's forms: a transaction per LOAD_CHUNK forms, each a
        handful of bulk statements, so a reviewer's save never waits long."""
        if not envelopes:
            return
        sha256 = envelopes[0].source.sha256
        for start in range(0, len(envelopes), LOAD_CHUNK):
            self._yield_to_others()
            began = time.monotonic()
            with self.store.write() as session:
                if start == 0:
                    doc_id, new = _document_id(session, sha256, envelopes[0], document)
                # by id: loading the document row would parse its whole text each time
                _load_chunk(session, doc_id, envelopes[start : start + LOAD_CHUNK], self.summary)
            if start == 0:
                self.summary.documents_seen += 1
                self.summary.documents_new += 1 if new else 0
            self._last_end = time.monotonic()
            self._held += self._last_end - began

    def _yield_to_others(self) -> None:
        """On SQLite, step aside briefly after LOAD_TRANSACTION_S of loading
        with no pause; time spent extracting between documents is a pause."""
        if not self.store.is_sqlite:
            return
        idle = time.monotonic() - self._last_end
        if idle < SQLITE_GAP_S and self._held >= LOAD_TRANSACTION_S:
            time.sleep(SQLITE_GAP_S - idle)
            idle = SQLITE_GAP_S
        if idle >= SQLITE_GAP_S:
            self._held = 0.0

    def finish(self) -> LoadSummary:
        with self.store.write() as session:
            waiting = select(func.count()).select_from(FormRow).where(FormRow.status == "needs_review")
            self.summary.needs_review = session.scalar(waiting) or 0
            run_row = session.get(RunRow, self.summary.run_id)
            assert run_row is not None
            run_row.finished_at = utcnow()
            run_row.summary = self.summary.model_dump(mode="json")
        return self.summary


def load_into(store: Store, documents: list[Document], envelopes: list[Envelope]) -> LoadSummary:
    """Load one run's results; safe to repeat (keyed on sha256, form, backend)."""
    docs = {doc.sha256: doc for doc in documents}
    by_document: dict[str, list[Envelope]] = {}
    for env in envelopes:
        by_document.setdefault(env.source.sha256, []).append(env)
    loader = RunLoader(store, ",".join(sorted({e.backend for e in envelopes})))
    for sha256, group in by_document.items():
        loader.add(docs.get(sha256), group)
    return loader.finish()


def load_run(db_url: str, documents: list[Document], envelopes: list[Envelope]) -> LoadSummary:
    """Load a `crossfoot run` into the store at ``db_url`` (a URL or a SQLite path).

    Idempotent: keyed on (document sha256, form index, backend). A changed
    extraction of an unchanged document becomes a new record version only
    when no reviewer has touched the form.
    """
    with Store(db_url) as store:
        return load_into(store, documents, envelopes)
