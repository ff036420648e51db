"""The review store: connecting, migrating, and loading a run's results.

SQLite (a file, the default) and PostgreSQL (by URL) behave the same: write
transactions are serialised. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of
failing on a lock upgrade, and the file runs in WAL mode so readers never
wait for a writer; on PostgreSQL each takes one transaction-scoped advisory
lock first. Serial writers keep the audit hash chains linear (``audit.py``),
make concurrent loads of the same run idempotent, and cannot deadlock.
Write transactions are short: a load commits every fraction of a second, so
a reviewer's save never waits behind a whole run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, create_engine, event, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from crossfoot.errors import ConflictError, StoreError
from crossfoot.ingest.document import Document
from crossfoot.model import Envelope
from crossfoot.review.audit import append_edit, append_version
from crossfoot.review.items import has_open_items, open_items_for, store_findings, sync_items
from crossfoot.review.tables import (
    DocumentRow,
    EditRow,
    FormRow,
    RecordVersionRow,
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
#: a load commits at least this often, so a reviewer's save gets the store in between
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
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``)."""
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


def extraction_hash(envelope: Envelope) -> str:
    """What the extractor said, hashed; ``meta`` (timings, usage) is left out."""
    data = envelope.model_dump(mode="json", include={"backend", "record", "provenance", "findings", "error"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _crossfoot_version() -> str:
    try:
        return version("crossfoot")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


def _document_row(session: Session, sha256: str, envelope: Envelope, docs: dict[str, Document]) -> DocumentRow:
    row = session.scalar(select(DocumentRow).where(DocumentRow.sha256 == sha256))
    if row is not None:
        if not row.lines and sha256 in docs:  # first loaded without its text
            row.lines = _lines_json(docs[sha256])
        return row
    doc = docs.get(sha256)
    row = DocumentRow(
        sha256=sha256,
        path=doc.path if doc else envelope.source.path,
        kind=doc.kind if doc else envelope.source.kind,
        encoding=doc.encoding if doc else envelope.source.encoding,
        lines=_lines_json(doc) if doc else [],
    )
    session.add(row)
    session.flush()
    return row


def _lines_json(document: Document) -> list[Any]:
    return [[line.number, line.page, [cell.text for cell in line.cells]] for line in document.lines]


def _new_form(session: Session, document_id: int, env: Envelope, digest: str) -> tuple[FormRow, int]:
    form = FormRow(
        document_id=document_id,
        form_index=env.source.form_index,
        form_count=env.source.form_count,
        backend=env.backend,
        template=env.source.template,
        title=env.record.project_name if env.record else "",
        first_line=env.source.first_line,
        last_line=env.source.last_line,
        status="clean",
        version=1,
        record_number=1,
    )
    session.add(form)
    session.flush()
    _add_extraction(session, form, env, digest, number=1)
    wanted = open_items_for(env.findings, env.error)
    opened = sync_items(session, form, wanted, actor=SYSTEM_ACTOR, resolution="superseded")
    form.status = "needs_review" if opened else "clean"
    append_edit(session, form_id=form.id, reviewer=SYSTEM_ACTOR, action="extract", from_version=0, to_version=1)
    return form, opened


def _add_extraction(session: Session, form: FormRow, env: Envelope, digest: str, *, number: int) -> None:
    version_row = append_version(
        session,
        form_id=form.id,
        number=number,
        origin="extraction",
        record=env.record.model_dump(mode="json") if env.record else None,
        provenance={k: [s.model_dump(mode="json") for s in v] for k, v in env.provenance.items()},
        error=env.error,
        meta=env.meta,
        extraction_hash=digest,
        created_by=SYSTEM_ACTOR,
    )
    store_findings(session, version_row.id, env.findings)


def _reextract(session: Session, form: FormRow, env: Envelope, digest: str) -> int:
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
    _add_extraction(session, form, env, digest, number=number)
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


def _reviewed(session: Session, form: FormRow) -> bool:
    query = select(EditRow.id).where(EditRow.form_id == form.id, EditRow.action.in_(HUMAN_ACTIONS)).limit(1)
    return session.scalar(query) is not None


def _last_extraction_hash(session: Session, form: FormRow) -> str | None:
    query = (
        select(RecordVersionRow.extraction_hash)
        .where(RecordVersionRow.form_id == form.id, RecordVersionRow.origin == "extraction")
        .order_by(RecordVersionRow.number.desc())
        .limit(1)
    )
    return session.scalar(query)


def _load_envelope(session: Session, document_id: int, env: Envelope, summary: LoadSummary) -> None:
    digest = extraction_hash(env)
    key = (
        FormRow.document_id == document_id,
        FormRow.form_index == env.source.form_index,
        FormRow.backend == env.backend,
    )
    # Locked from here to commit, so "nobody reviewed it" still holds when we write.
    form = session.scalar(select(FormRow).where(*key).with_for_update())
    if form is None:
        _, opened = _new_form(session, document_id, env, digest)
        summary.forms_new += 1
        summary.items_opened += opened
    elif _last_extraction_hash(session, form) == digest:
        summary.forms_unchanged += 1
    elif _reviewed(session, form):
        # Never overwrite a reviewer's work; the new extraction is only counted.
        summary.forms_kept_reviewed += 1
    else:
        try:
            summary.items_opened += _reextract(session, form, env, digest)
        except ConflictError:
            summary.forms_kept_reviewed += 1  # someone got there first; theirs stands
            return
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
        self._last_gap = time.monotonic()

    def add(self, document: Document | None, envelopes: list[Envelope]) -> None:
        """One document's forms, in short transactions (a few forms each)."""
        if not envelopes:
            return
        docs = {document.sha256: document} if document is not None else {}
        sha256 = envelopes[0].source.sha256
        self._yield_to_others()
        with self.store.write() as session:
            existed = session.scalar(select(DocumentRow.id).where(DocumentRow.sha256 == sha256)) is not None
            doc_id = _document_row(session, sha256, envelopes[0], docs).id
            self.summary.documents_seen += 1
            self.summary.documents_new += 0 if existed else 1
        done = 0
        while done < len(envelopes):
            self._yield_to_others()
            started = time.monotonic()
            with self.store.write() as session:
                while done < len(envelopes):
                    # by id: loading the document row would parse its whole text each time
                    _load_envelope(session, doc_id, envelopes[done], self.summary)
                    done += 1
                    if time.monotonic() - started >= LOAD_TRANSACTION_S:
                        break

    def _yield_to_others(self) -> None:
        """On SQLite, step aside briefly once per LOAD_TRANSACTION_S of loading."""
        now = time.monotonic()
        if self.store.is_sqlite and now - self._last_gap >= LOAD_TRANSACTION_S:
            time.sleep(SQLITE_GAP_S)
            self._last_gap = time.monotonic()

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
