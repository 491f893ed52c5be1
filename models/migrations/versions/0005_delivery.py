"""Issue 24: the outbox's delivery (status, channel, address, attempts and their backoff, a relay's
lease, the last error, the Message-ID, when the channel accepted it), staff e-mail addresses, and
the SHA-256 of a letter's PDF kept as a document.
Notices written before delivery existed are `held`: upgrading does not mail months of old notices
at once; `starter.py outbox release` queues them when the department wants.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as notices:
        notices.add_column(sa.Column("status", AutoString(), nullable=False, server_default="queued"))
        notices.add_column(sa.Column("channel", AutoString(), nullable=False, server_default=""))
        notices.add_column(sa.Column("address", AutoString(), nullable=False, server_default=""))
        notices.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        notices.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        notices.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))
        notices.add_column(sa.Column("last_error", AutoString(), nullable=False, server_default=""))
        notices.add_column(sa.Column("message_id", AutoString(), nullable=False, server_default=""))
        notices.add_column(sa.Column("sent_at", UTCDateTime(), nullable=True))
        notices.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
        notices.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)
    op.execute(sa.text("UPDATE notifications SET status = 'held'"))  # written before delivery existed
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("email", AutoString(), nullable=False, server_default=""))
    with op.batch_alter_table("documents") as documents:
        documents.add_column(sa.Column("sha256", AutoString(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("documents") as documents:
        documents.drop_column("sha256")
    with op.batch_alter_table("users") as users:
        users.drop_column("email")
    with op.batch_alter_table("notifications") as notices:
        notices.drop_index("ix_notifications_due")
        for column in (
            "delivered_at", "sent_at", "message_id", "last_error", "claimed_until", "next_attempt_at",
            "attempts", "address", "channel", "status",
        ):  # fmt: skip
            notices.drop_column(column)
