"""Operations: competition leases, live instances (heartbeats), the API call ledger, recent errors
and the job-run log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-09-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANCE = sa.String(200)
COMPETITION = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("competition_id", COMPETITION, primary_key=True),
        sa.Column("holder", INSTANCE, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_table(
        "instances",
        sa.Column("instance_id", INSTANCE, primary_key=True),
        sa.Column("hostname", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("stopped_at", TS, nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    op.create_table(
        "api_calls",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("instance_id", INSTANCE, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("post_reads", sa.Integer(), nullable=False),
        sa.Column("user_reads", sa.Integer(), nullable=False),
        sa.Column("cost", sa.String(32), nullable=False),
    )
    op.create_index("ix_api_calls_at", "api_calls", ["at"])
    op.create_table(
        "ops_errors",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("instance_id", INSTANCE, nullable=False),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("competition_id", COMPETITION, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("persistent", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("retry_at", TS, nullable=True),
        sa.Column("endpoint", sa.String(200), nullable=True),
        sa.Column("reset_at", TS, nullable=True),
    )
    op.create_index("ix_ops_errors_at", "ops_errors", ["at"])
    op.create_table(
        "job_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("instance_id", INSTANCE, nullable=False),
        sa.Column("competition_id", COMPETITION, nullable=False),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("lease_expires_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_job_runs_competition_started", "job_runs", ["competition_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_runs_competition_started", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_index("ix_ops_errors_at", table_name="ops_errors")
    op.drop_table("ops_errors")
    op.drop_index("ix_api_calls_at", table_name="api_calls")
    op.drop_table("api_calls")
    op.drop_table("instances")
    op.drop_table("leases")
