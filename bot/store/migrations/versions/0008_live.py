"""The live leaderboard kept incrementally (issue 14): the change log the store's writes append
to (`live_changes`), per competition the state of the standings computed from it (`live_state`),
the global exclusions (`live_exclusions`) and one row per eligible entry and category in the
category's order (`live_scores`); replies are indexed by replier (an account's change reaches the
entries it replied to). A database upgraded in place has no live state yet: the first leaderboard
read computes it from every entry once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
COMPETITION = sa.String(64)
TS = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "live_changes",
        sa.Column("seq", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("key", ID, nullable=True),
        sa.Column("author_id", ID, nullable=True),
        sqlite_autoincrement=True,  # numbers are never reused once the log is pruned
    )
    op.create_table(
        "live_state",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("organisers", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("built_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "live_exclusions",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("key", ID, primary_key=True),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
    )
    op.create_table(
        "live_scores",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("category_id", sa.String(64), primary_key=True),
        sa.Column("key", ID, primary_key=True),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("pick_rank", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        # Compared byte by byte, as Python compares it: PostgreSQL's default collation may not.
        sa.Column(
            "tiebreak",
            sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("key_len", sa.Integer(), nullable=False),
        sa.Column("g0", sa.Integer(), nullable=False),
        sa.Column("g1", sa.Float(), nullable=False),
        sa.Column("ranked", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_live_scores_order",
        "live_scores",
        ["competition_id", "category_id", "ranked", "g0", "g1", "tiebreak", "key_len", "key"],
    )
    op.create_index(
        "ix_live_scores_author",
        "live_scores",
        [
            "competition_id",
            "category_id",
            "author_id",
            *("ranked", "g0", "g1", "tiebreak", "key_len", "key"),
        ],
    )
    op.create_index("ix_live_scores_key", "live_scores", ["competition_id", "key"])
    op.create_index("ix_replies_replier_id", "replies", ["replier_id"])


def downgrade() -> None:
    op.drop_index("ix_replies_replier_id", table_name="replies")
    op.drop_table("live_scores")
    op.drop_table("live_exclusions")
    op.drop_table("live_state")
    op.drop_table("live_changes")
