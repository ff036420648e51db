"""A tamper-evident audit trail: hash chains over ``edits`` and
``record_versions`` (backfilled for existing rows), and triggers that block
UPDATE, DELETE, INSERT OR REPLACE and TRUNCATE on both.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import sqlalchemy as sa
from alembic import op

from crossfoot.review.audit import EDIT_FIELDS, GENESIS, VERSION_FIELDS, chain_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = {"edits": EDIT_FIELDS, "record_versions": VERSION_FIELDS}


def _type(name: str) -> sa.types.TypeEngine[Any]:
    """Read each column as the models do, so the hashes match what ``verify`` recomputes."""
    if name in ("old_value", "new_value", "record", "provenance", "meta"):
        return sa.JSON()
    if name in ("at", "created_at"):
        return sa.DateTime(timezone=True)
    if name in ("form_id", "number", "from_version", "to_version"):
        return sa.Integer()
    return sa.Text()


def _backfill(table: str, fields: tuple[str, ...]) -> None:
    bind = op.get_bind()
    columns = [sa.column("id", sa.Integer)] + [sa.column(name, _type(name)) for name in fields]
    source = sa.table(table, *columns, sa.column("prev_hash"), sa.column("hash"))
    prev = GENESIS
    rows = bind.execute(sa.select(*columns).select_from(source).order_by(sa.column("id"))).mappings().all()
    for row in rows:
        values = {name: row[name] for name in fields}
        digest = chain_hash(table, prev, values)
        bind.execute(sa.update(source).where(sa.column("id") == row["id"]).values(prev_hash=prev, hash=digest))
        prev = digest


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        op.add_column(table, sa.Column("prev_hash", sa.String(64), nullable=True))
        op.add_column(table, sa.Column("hash", sa.String(64), nullable=True))
    # 0001's triggers refuse the backfill's UPDATE; they come back stronger below.
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS edits_append_only ON edits")
    else:
        op.execute("DROP TRIGGER IF EXISTS edits_no_update")
        op.execute("DROP TRIGGER IF EXISTS edits_no_delete")
    for table, fields in _TABLES.items():
        _backfill(table, fields)
    if postgres:
        _protect_postgres()
    else:
        _protect_sqlite()


def _protect_postgres() -> None:
    op.execute(
        """
        CREATE FUNCTION crossfoot_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in _TABLES:
        # ON CONFLICT DO UPDATE fires the UPDATE trigger too.
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION crossfoot_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION crossfoot_append_only()"
        )


def _protect_sqlite() -> None:
    # INSERT OR REPLACE deletes the row it collides with without firing DELETE
    # triggers (recursive_triggers is off by default), so refuse the collision
    # itself before the insert.
    unique = {
        "edits": "id = NEW.id",
        "record_versions": "id = NEW.id OR (form_id = NEW.form_id AND number = NEW.number)",
    }
    for table in _TABLES:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {unique[table]}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            for event in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS crossfoot_append_only()")
        op.execute("DROP FUNCTION IF EXISTS crossfoot_edits_append_only()")
    for table in _TABLES:
        op.drop_column(table, "hash")
        op.drop_column(table, "prev_hash")
    # 0001's own triggers come back, as 0001 made them.
    import_module("crossfoot.review.migrations.versions.0001_initial")._protect_edits()
