"""Posting: the outbox (unique deterministic key, sending marker, per-part posted ids), the last
mention reply per user, and the responder's mentions cursor.

Revision ID: 0003
Revises: 0002
Create Date: 2026-09-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("posted_ids", sa.JSON(), nullable=False),
        sa.Column("reply_to", ID, nullable=True),
        sa.Column("has_media", sa.Boolean(), nullable=False),
        sa.Column("cost_usd", sa.String(24), nullable=False),
        sa.Column("sending_at", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_state_due", "outbox", ["state", "due_at"])
    op.create_table(
        "mention_replies",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("last_reply_at", TS, nullable=False),
        sa.Column("last_mention_id", ID, nullable=False),
    )
    op.create_table(
        "mention_cursors",
        sa.Column("account_id", ID, primary_key=True),
        sa.Column("since_id", ID, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mention_cursors")
    op.drop_table("mention_replies")
    op.drop_index("ix_outbox_state_due", table_name="outbox")
    op.drop_table("outbox")
