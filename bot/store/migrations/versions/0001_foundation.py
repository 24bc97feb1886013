"""Foundation: competitions, authors, tweets (keyed by edit chain), entries, snapshots, cursors.

Revision ID: 0001
Revises:
Create Date: 2026-09-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "competitions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "authors",
        sa.Column("id", ID, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=True),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("following", sa.Integer(), nullable=False),
        sa.Column("tweet_count", sa.Integer(), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_authors_username", "authors", ["username"])
    op.create_table(
        "tweets",
        sa.Column("key", ID, primary_key=True),
        sa.Column("latest_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note_text", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("in_reply_to_user_id", ID, nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("edit_history", sa.JSON(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("bookmarks", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("metrics_at", TS, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_at", TS, nullable=True),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_tweets_author_id", "tweets", ["author_id"])
    op.create_index("ix_tweets_conversation_id", "tweets", ["conversation_id"])
    op.create_table(
        "tweet_ids",
        sa.Column("id", ID, primary_key=True),
        sa.Column("key", ID, sa.ForeignKey("tweets.key"), nullable=False),
    )
    op.create_index("ix_tweet_ids_key", "tweet_ids", ["key"])
    op.create_table(
        "competition_entries",
        sa.Column(
            "competition_id", sa.String(64), sa.ForeignKey("competitions.id"), primary_key=True
        ),
        sa.Column("key", ID, sa.ForeignKey("tweets.key"), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("found_at", TS, nullable=False),
    )
    op.create_table(
        "replies",
        sa.Column("reply_id", ID, primary_key=True),
        sa.Column("conversation_key", ID, nullable=False),
        sa.Column("replier_id", ID, nullable=False),
        sa.Column("replier_username", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_replies_conversation_key", "replies", ["conversation_key"])
    op.create_table(
        "metric_snapshots",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("key", ID, sa.ForeignKey("tweets.key"), nullable=False),
        sa.Column("tweet_id", ID, nullable=False),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("bookmarks", sa.Integer(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("key", "taken_at", name="uq_metric_snapshots_key_taken_at"),
    )
    op.create_table(
        "cursors",
        sa.Column("competition_id", sa.String(64), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("since_id", ID, nullable=True),
        sa.Column("newest_created_at", TS, nullable=True),
        sa.Column("pending_next_token", sa.String(512), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "poll_runs",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("competition_id", sa.String(64), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_poll_runs_competition_finished", "poll_runs", ["competition_id", "finished_at"]
    )


def downgrade() -> None:
    op.drop_table("poll_runs")
    op.drop_table("cursors")
    op.drop_table("metric_snapshots")
    op.drop_index("ix_replies_conversation_key", table_name="replies")
    op.drop_table("replies")
    op.drop_table("competition_entries")
    op.drop_table("tweet_ids")
    op.drop_index("ix_tweets_conversation_id", table_name="tweets")
    op.drop_index("ix_tweets_author_id", table_name="tweets")
    op.drop_table("tweets")
    op.drop_index("ix_authors_username", table_name="authors")
    op.drop_table("authors")
    op.drop_table("competitions")
