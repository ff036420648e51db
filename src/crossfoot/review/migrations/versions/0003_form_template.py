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
    with op.batch_alter_table("forms") as batch:
        batch.add_column(sa.Column("template", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forms") as batch:
        batch.drop_column("template")
