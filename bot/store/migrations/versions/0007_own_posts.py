"""Own posts (issue 11, post analysis): which stored tweets are the bot's sent posts or the
organisers' posts on their own timelines. Their content and snapshots go to the existing `tweets`,
`tweet_ids` and `metric_snapshots` tables; `own_posts` only marks the chains (never entries).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "own_posts",
        sa.Column("key", ID, sa.ForeignKey("tweets.key"), primary_key=True),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("outbox_key", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("first_seen_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("own_posts")
