"""Alembic environment: always runs on the connection the store hands over.

The store calls ``alembic.command.upgrade`` with ``config.attributes
["connection"]`` set, so URLs with passwords never pass through Alembic's
ini interpolation and SQLite in-memory databases migrate the connection the
app then uses.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from crossfoot.review.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the store runs migrations
    raise RuntimeError("crossfoot migrations run through crossfoot.review.store.migrate()")
_run(connection)
