"""Issue 25: the intake. Channels with their hashed API keys, each channel's registrations by its
own id (idempotency: a retry is the same case), the files that came with an appeal, kept by their
SHA-256, and the e-mails waiting in the intake mailbox for a registrar.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("key_hash", AutoString(), nullable=False),
        sa.Column("appeal_channel", AutoString(), nullable=False),
        sa.Column("oauth_client", AutoString(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_channels_key_hash"), "channels", ["key_hash"], unique=False)
    op.create_index(op.f("ix_channels_oauth_client"), "channels", ["oauth_client"], unique=False)
    op.create_table(
        "intake_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", AutoString(), nullable=False),
        sa.Column("external_id", AutoString(), nullable=False),
        sa.Column("body_sha256", AutoString(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("received_at", AutoString(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("answer", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_intake_channel_external_id"),
    )
    op.create_index(op.f("ix_intake_requests_channel"), "intake_requests", ["channel"], unique=False)
    op.create_index(op.f("ix_intake_requests_reg_number"), "intake_requests", ["reg_number"], unique=True)
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("sha256", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("content_type", AutoString(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reg_number", "sha256", name="uq_attachment_case_sha256"),
    )
    op.create_index(op.f("ix_attachments_reg_number"), "attachments", ["reg_number"], unique=False)
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)
    op.create_table(
        "mail_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", AutoString(), nullable=False),
        sa.Column("from_address", AutoString(), nullable=False),
        sa.Column("from_name", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("handled_by", AutoString(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(op.f("ix_mail_drafts_state"), "mail_drafts", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_drafts")
    op.drop_table("attachments")
    op.drop_table("intake_requests")
    op.drop_table("channels")
