"""Replies credited to the post they reply to: each stored reply keeps its parent id
(`replies.in_reply_to_id`). The conversations already read are forgotten (`reply_scans`, and the
`replies` cursors), so the next run re-reads them from their entries' creation (within X's 7-day
search window) and fills in the parents of the replies stored before; a reply out of reach keeps
its old, per-conversation credit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("in_reply_to_id", sa.String(32), nullable=True))
    op.execute(sa.text("DELETE FROM reply_scans"))
    op.execute(sa.text("DELETE FROM cursors WHERE stream = 'replies'"))


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_column("in_reply_to_id")
