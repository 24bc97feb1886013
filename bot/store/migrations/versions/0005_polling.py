"""Polling: the raw mentions of each tracked account (one mentions stream per account, shared by
competitions and the responder) and the conversations a replies collection has read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-09-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mentions",
        sa.Column("account_id", ID, primary_key=True),
        sa.Column("tweet_id", ID, primary_key=True),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("tweet", sa.JSON(), nullable=False),
        sa.Column("found_at", TS, nullable=False),
    )
    op.create_index("ix_mentions_account_created", "mentions", ["account_id", "created_at"])
    op.create_table(
        "reply_scans",
        sa.Column("competition_id", sa.String(64), primary_key=True),
        sa.Column("conversation_id", ID, primary_key=True),
        sa.Column("scanned_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reply_scans")
    op.drop_index("ix_mentions_account_created", table_name="mentions")
    op.drop_table("mentions")
