"""The tamper-evident audit trail (issue 9, item 17): hash chains over edits
and record versions, `crossfoot audit verify`, and triggers that block what
they can on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from crossfoot.cli import app
from crossfoot.review.audit import GENESIS, verify_session
from crossfoot.review.edits import save_field, set_status
from crossfoot.review.queue import queue
from crossfoot.review.store import Store, load_into, load_run, migrate
from tests.review.helpers import Run

runner = CliRunner()


def verify(store: Store) -> list[str]:
    with store.read() as session:
        return verify_session(session).problems


def reviewed(store: Store) -> int:
    """Give the first queued form a reviewed history; its id."""
    row = queue(store)[0]
    outcome = save_field(store, row.form_id, "grade", "优", version=row.version, reviewer="ann", reason="typo")
    set_status(store, row.form_id, "approve", version=outcome.version, reviewer="bob")
    return row.form_id


def raw(db_url: str, statement: str) -> None:
    """What someone with the database's password could run, outside crossfoot."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_a_store_written_by_crossfoot_verifies(loaded: Store) -> None:
    """Item 17: every row crossfoot writes is chained; the walk finds no break."""
    reviewed(loaded)
    with loaded.read() as session:
        report = verify_session(session)
    assert report.intact, report.problems
    assert report.edits > report.forms and report.record_versions > report.forms
    assert report.edits_head != GENESIS and report.record_versions_head != GENESIS


def test_a_bulk_load_mixing_new_and_reextracted_forms_keeps_the_chains(loaded: Store, sample_run: Run) -> None:
    """Issue 12, item 1: new forms go in as multi-row INSERTs hashed in Python,
    a changed form through the per-form path, in one transaction: both chains
    still verify, and the trail accounts for every version."""
    documents, envelopes = sample_run
    first = envelopes[0]
    same_document = [e for e in envelopes if e.source.sha256 == first.source.sha256]
    assert first.record is not None
    changed = first.model_copy(update={"record": first.record.model_copy(update={"project_name": "改过的名称"})})
    added = [
        e.model_copy(update={"source": e.source.model_copy(update={"form_index": 1000 + n})})
        for n, e in enumerate(same_document)
    ]
    summary = load_into(loaded, documents, [changed, *same_document[1:], *added])
    assert (summary.forms_reextracted, summary.forms_new) == (1, len(added))
    assert verify(loaded) == []
    reviewed(loaded)  # and a reviewer's rows chain on after the bulk ones
    assert verify(loaded) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE edits SET reviewer = 'mallory'",
        "DELETE FROM edits",
        "UPDATE record_versions SET record = NULL",
        "DELETE FROM record_versions WHERE number > 1",
    ],
)
def test_the_database_refuses_rewriting_the_trail(loaded: Store, db_url: str, statement: str) -> None:
    """Item 17: UPDATE and DELETE on edits and record_versions fail in the database itself."""
    reviewed(loaded)
    with pytest.raises(DBAPIError, match="append-only"):
        raw(db_url, statement)
    assert verify(loaded) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_refuses_insert_or_replace(loaded: Store, db_url: str) -> None:
    """Item 17: INSERT OR REPLACE, which deletes without firing DELETE
    triggers, cannot rewrite an audit row or a record version."""
    reviewed(loaded)
    with pytest.raises(DBAPIError, match="append-only"):
        raw(
            db_url,
            "INSERT OR REPLACE INTO edits (id, form_id, at, reviewer, action, from_version, to_version) "
            "VALUES (1, 1, '2026-01-01 00:00:00', 'mallory', 'extract', 0, 1)",
        )
    with pytest.raises(DBAPIError, match="append-only"):
        raw(
            db_url,
            "INSERT OR REPLACE INTO record_versions (form_id, number, origin, provenance, meta, created_at, created_by)"
            " VALUES (1, 1, 'review', '{}', '{}', '2026-01-01 00:00:00', 'mallory')",
        )
    assert verify(loaded) == []


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("table", ["edits", "record_versions"])
def test_postgres_refuses_truncate(loaded: Store, db_url: str, table: str) -> None:
    """Item 17: TRUNCATE skips row triggers; a statement trigger blocks it."""
    with pytest.raises(DBAPIError, match="append-only"):
        raw(db_url, f"TRUNCATE {table} CASCADE")
    assert verify(loaded) == []


def _drop_guards(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        for table in ("edits", "record_versions"):
            for event in ("update", "delete", "replace"):
                raw(db_url, f"DROP TRIGGER {table}_no_{event}")
    else:
        for table in ("edits", "record_versions"):
            raw(db_url, f"DROP TRIGGER {table}_append_only ON {table}")


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE edits SET reviewer = 'mallory' WHERE id = {edit}", "edits row {edit} (form {form}): changed"),
        ("DELETE FROM edits WHERE id = {edit}", "edits row {after}: its link"),
        (
            "UPDATE record_versions SET record = NULL WHERE id = {version}",
            "record_versions row {version} (form {form}): changed",
        ),
        ("UPDATE forms SET version = version + 1 WHERE id = {form}", "form {form}: is at version"),
    ],
)
def test_verify_names_the_first_broken_link(
    loaded: Store, db_url: str, tmp_path: Path, statement: str, expected: str
) -> None:
    """Item 17: with the triggers dropped (an admin, a restored backup), a
    changed, removed or out-of-step row is found and named, and `crossfoot
    audit verify` exits 1 with that one line."""
    form = reviewed(loaded)
    with loaded.read() as session:
        edit = session.scalar(text("SELECT min(id) FROM edits WHERE form_id = :f AND action = 'edit'"), {"f": form})
        version = session.scalar(text("SELECT max(id) FROM record_versions WHERE form_id = :f"), {"f": form})
        after = session.scalar(text("SELECT min(id) FROM edits WHERE id > :e"), {"e": edit})
    marks = {"edit": edit, "version": version, "form": form, "after": after}
    _drop_guards(db_url)
    raw(db_url, statement.format(**marks))
    problems = verify(loaded)
    assert problems and problems[0].startswith(expected.format(**marks)), problems
    result = runner.invoke(app, ["audit", "verify", "--db", db_url])
    assert result.exit_code == 1
    assert f"audit trail broken: {problems[0]}" in result.output


def test_audit_verify_on_an_intact_store(tmp_path: Path, sample_run: Run) -> None:
    """Item 17: exit 0, the head hashes on stdout to note elsewhere."""
    db = tmp_path / "crossfoot.db"
    load_run(str(db), *sample_run)
    result = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "edits head " in result.stdout and "record_versions head " in result.stdout


def test_a_store_from_before_the_chain_is_chained_on_upgrade(db_url: str, sample_run: Run) -> None:
    """Item 17: migration 0002 backfills the chain over rows written by the
    schema of 0001, so an upgraded store verifies and keeps its trail."""
    from alembic import command
    from alembic.config import Config

    from crossfoot.review.store import MIGRATIONS

    with Store(db_url, run_migrations=False) as old:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with old.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO documents (sha256, path, kind, lines, added_at) "
                    "VALUES ('abc', 'a.txt', 'text', '[]', '2025-01-01 00:00:00+00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO forms (document_id, form_index, form_count, backend, title, first_line, "
                    "last_line, status, version, record_number, created_at, updated_at) VALUES "
                    "(1, 0, 1, 'rules', '项目', 1, 9, 'approved', 2, 1, "
                    "'2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO record_versions (form_id, number, origin, record, provenance, meta, "
                    "created_at, created_by) VALUES (1, 1, 'extraction', '{\"project_name\": \"项目\"}', "
                    "'{}', '{}', '2025-01-01 00:00:00+00:00', 'crossfoot run')"
                )
            )
            # a fresh database: the rows above got id 1
            for number, (action, who) in enumerate((("extract", "crossfoot run"), ("approve", "王芳"))):
                conn.execute(
                    text(
                        "INSERT INTO edits (form_id, at, reviewer, action, from_version, to_version) "
                        "VALUES (1, '2025-01-01 00:00:00+00:00', :who, :action, :n, :m)"
                    ),
                    {"who": who, "action": action, "n": number, "m": number + 1},
                )
        migrate(old.engine)
        assert verify(old) == []
        load_into(old, *sample_run)  # and the chain goes on from the backfilled rows
        assert verify(old) == []
        with old.read() as session:
            who = session.scalar(text("SELECT reviewer FROM edits WHERE action = 'approve'"))
        assert who == "王芳"


def test_downgrading_0002_restores_the_0001_guards(loaded: Store, db_url: str) -> None:
    """Item 17: the new migration is reversible; after it the trail is still append-only."""
    from alembic import command
    from alembic.config import Config

    from crossfoot.review.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with loaded.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with pytest.raises(DBAPIError, match="append-only"):
        raw(db_url, "UPDATE edits SET reviewer = 'mallory'")
    migrate(loaded.engine)
    assert verify(loaded) == []
