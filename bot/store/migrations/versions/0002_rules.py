"""Competition rules: disqualification audit log, jury picks, final snapshots, frozen results and
their re-issues, pre-announcement checks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-09-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
COMPETITION = sa.String(64)
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "disqualifications",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("competition_id", COMPETITION, nullable=False),
        sa.Column("key", ID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index(
        "ix_disqualifications_competition_key", "disqualifications", ["competition_id", "key"]
    )
    op.create_table(
        "jury_picks",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("competition_id", COMPETITION, nullable=False),
        sa.Column("category_id", sa.String(64), nullable=False),
        sa.Column("key", ID, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("judge", sa.String(200), nullable=False),
        sa.Column("picked_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.UniqueConstraint(
            "competition_id", "category_id", "key", "judge", "picked_at", name="uq_jury_picks_pick"
        ),
    )
    op.create_index("ix_jury_picks_competition_id", "jury_picks", ["competition_id"])
    op.create_table(
        "frozen_results",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("frozen_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("delay_reason", sa.String(32), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "final_snapshots",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("deadline", TS, nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
    )
    op.create_table(
        "result_revisions",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("previous_digest", sa.String(64), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "announcement_checks",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("competition_id", COMPETITION, nullable=False),
        sa.Column("checked_at", TS, nullable=False),
        sa.Column("replacements", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_announcement_checks_competition_id", "announcement_checks", ["competition_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_announcement_checks_competition_id", table_name="announcement_checks")
    op.drop_table("announcement_checks")
    op.drop_table("result_revisions")
    op.drop_table("final_snapshots")
    op.drop_table("frozen_results")
    op.drop_index("ix_jury_picks_competition_id", table_name="jury_picks")
    op.drop_table("jury_picks")
    op.drop_index("ix_disqualifications_competition_key", table_name="disqualifications")
    op.drop_table("disqualifications")
