"""The queue in the database's order (issue 11, items 7, 9 and 13).

``forms`` gets the queue's sort key as columns (skipped, rank, document
path), filled here for existing stores and kept by ``items.sync_items``
afterwards, with composite indexes so a page of the queue and a form's
neighbours are index range scans at any size. ``form_locks`` holds who has
a form open (a soft lock with an expiry).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

QUEUE_COLUMNS = ("queue_skipped", "queue_rank", "queue_path", "form_index", "backend", "id")


def upgrade() -> None:
    op.add_column("forms", sa.Column("queue_skipped", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("forms", sa.Column("queue_rank", sa.Integer(), nullable=False, server_default="9"))
    op.add_column("forms", sa.Column("queue_path", sa.Text(), nullable=False, server_default=""))
    # Existing forms: the most urgent open item, the document's path, and a skip at the current version.
    op.execute(
        "UPDATE forms SET "
        "queue_rank = COALESCE((SELECT MIN(r.rank) FROM review_items r"
        " WHERE r.form_id = forms.id AND r.closed_at IS NULL), 9), "
        "queue_path = (SELECT d.path FROM documents d WHERE d.id = forms.document_id), "
        "queue_skipped = EXISTS (SELECT 1 FROM edits e"
        " WHERE e.form_id = forms.id AND e.action = 'skip' AND e.to_version = forms.version)"
    )
    op.create_index("ix_forms_queue", "forms", ["status", *QUEUE_COLUMNS])
    op.create_index("ix_forms_queue_all", "forms", list(QUEUE_COLUMNS))
    op.create_index("ix_forms_status_document", "forms", ["status", "document_id"])
    op.create_index("ix_review_items_facets", "review_items", ["closed_at", "severity", "code"])
    op.create_index("ix_review_items_code_form", "review_items", ["code", "closed_at", "form_id"])
    op.create_table(
        "form_locks",
        sa.Column("form_id", sa.Integer(), sa.ForeignKey("forms.id"), primary_key=True),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("form_locks")
    op.drop_index("ix_review_items_code_form", "review_items")
    op.drop_index("ix_review_items_facets", "review_items")
    op.drop_index("ix_forms_status_document", "forms")
    op.drop_index("ix_forms_queue_all", "forms")
    op.drop_index("ix_forms_queue", "forms")
    # plain ALTER TABLE (SQLite 3.35+, PostgreSQL), as in 0003
    for column in ("queue_path", "queue_rank", "queue_skipped"):
        op.execute(f"ALTER TABLE forms DROP COLUMN {column}")
