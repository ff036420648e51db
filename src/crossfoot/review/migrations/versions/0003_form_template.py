"""The template a form was read as (issue 10): ``forms.template``, so that a
reviewer's edit is re-checked against what that template prints, and exports
give back the envelope's ``source.template``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("forms", sa.Column("template", sa.String(32), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch copy of ``forms``
    # would trip the foreign keys that edits and versions hold on it
    op.execute("ALTER TABLE forms DROP COLUMN template")
