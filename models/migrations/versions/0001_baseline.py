"""The registry as the release before migrations left it (created by `create_all`): the baseline.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("appeal_type", AutoString(), nullable=False),
        sa.Column("channel", AutoString(), nullable=False),
        sa.Column("language", AutoString(), nullable=False),
        sa.Column("category", AutoString(), nullable=False),
        sa.Column("district", AutoString(), nullable=False),
        sa.Column("applicant_kind", AutoString(), nullable=False),
        sa.Column("applicant_identity", AutoString(), nullable=False),
        sa.Column("applicant_name", AutoString(), nullable=False),
        sa.Column("applicants_count", sa.Integer(), nullable=False),
        sa.Column("addressee", AutoString(), nullable=False),
        sa.Column("received_at", AutoString(), nullable=False),
        sa.Column("state", AutoString(), nullable=False),
        sa.Column("executor", AutoString(), nullable=False),
        sa.Column("deadline", AutoString(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("possible_repeat_of", AutoString(), nullable=False),
        sa.Column("closure_reason", AutoString(), nullable=False),
        sa.Column("answer_character", AutoString(), nullable=False),
        sa.Column("parent", AutoString(), nullable=False),
        sa.Column("workflow_run", AutoString(), nullable=False),
        sa.Column("related_to", AutoString(), nullable=False),
        sa.Column("answered_late", sa.Boolean(), nullable=False),
        sa.Column("answer_excerpt", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reg_number"),
    )
    op.create_index(op.f("ix_cases_applicant_identity"), "cases", ["applicant_identity"], unique=False)
    op.create_index(op.f("ix_cases_category"), "cases", ["category"], unique=False)
    op.create_index(op.f("ix_cases_district"), "cases", ["district"], unique=False)
    op.create_index(op.f("ix_cases_executor"), "cases", ["executor"], unique=False)
    op.create_index(op.f("ix_cases_kind"), "cases", ["kind"], unique=False)
    op.create_index(op.f("ix_cases_parent"), "cases", ["parent"], unique=False)
    op.create_index(op.f("ix_cases_state"), "cases", ["state"], unique=False)
    op.create_table(
        "disciplinary_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("executor", AutoString(), nullable=False),
        sa.Column("official", AutoString(), nullable=False),
        sa.Column("due_date", AutoString(), nullable=False),
        sa.Column("overdue_working_days", sa.Integer(), nullable=False),
        sa.Column("language", AutoString(), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("status", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        op.f("ix_disciplinary_proposals_reg_number"), "disciplinary_proposals", ["reg_number"], unique=False
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("kind", AutoString(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("language", AutoString(), nullable=False),
        sa.Column("title", AutoString(), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("path", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_documents_kind"), "documents", ["kind"], unique=False)
    op.create_index(op.f("ix_documents_reg_number"), "documents", ["reg_number"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("trigger", AutoString(), nullable=False),
        sa.Column("actor_id", AutoString(), nullable=False),
        sa.Column("actor_role", AutoString(), nullable=False),
        sa.Column("from_state", AutoString(), nullable=False),
        sa.Column("to_state", AutoString(), nullable=False),
        sa.Column("at", AutoString(), nullable=False),
        sa.Column("reason", AutoString(), nullable=False),
        sa.Column("detail", AutoString(), nullable=False),
        sa.Column("actor_name", AutoString(), nullable=False),
        sa.Column("auth", AutoString(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reg_number", "key"),
    )
    op.create_index(op.f("ix_events_reg_number"), "events", ["reg_number"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", AutoString(), nullable=False),
        sa.Column("reg_number", AutoString(), nullable=False),
        sa.Column("recipient", AutoString(), nullable=False),
        sa.Column("template", AutoString(), nullable=False),
        sa.Column("language", AutoString(), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_notifications_reg_number"), "notifications", ["reg_number"], unique=False)
    op.create_index(op.f("ix_notifications_template"), "notifications", ["template"], unique=False)
    op.create_table(
        "reception_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official", AutoString(), nullable=False),
        sa.Column("start", UTCDateTime(), nullable=False),
        sa.Column("end", UTCDateTime(), nullable=False),
        sa.Column("format", AutoString(), nullable=False),
        sa.Column("district", AutoString(), nullable=False),
        sa.Column("place", AutoString(), nullable=False),
        sa.Column("link", AutoString(), nullable=False),
        sa.Column("reception", AutoString(), nullable=True),
        sa.Column("booked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("official", "start"),
    )
    op.create_index(op.f("ix_reception_slots_district"), "reception_slots", ["district"], unique=False)
    op.create_index(op.f("ix_reception_slots_official"), "reception_slots", ["official"], unique=False)
    op.create_index(op.f("ix_reception_slots_reception"), "reception_slots", ["reception"], unique=False)
    op.create_index(op.f("ix_reception_slots_start"), "reception_slots", ["start"], unique=False)
    op.create_table(
        "registration_counters",
        sa.Column("prefix", AutoString(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", AutoString(), nullable=False),
        sa.Column("user_id", AutoString(), nullable=False),
        sa.Column("method", AutoString(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", AutoString(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("roles", AutoString(), nullable=False),
        sa.Column("unit", AutoString(), nullable=False),
        sa.Column("password_hash", AutoString(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("registration_counters")
    op.drop_index(op.f("ix_reception_slots_start"), table_name="reception_slots")
    op.drop_index(op.f("ix_reception_slots_reception"), table_name="reception_slots")
    op.drop_index(op.f("ix_reception_slots_official"), table_name="reception_slots")
    op.drop_index(op.f("ix_reception_slots_district"), table_name="reception_slots")
    op.drop_table("reception_slots")
    op.drop_index(op.f("ix_notifications_template"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_reg_number"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_events_reg_number"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_documents_reg_number"), table_name="documents")
    op.drop_index(op.f("ix_documents_kind"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_disciplinary_proposals_reg_number"), table_name="disciplinary_proposals")
    op.drop_table("disciplinary_proposals")
    op.drop_index(op.f("ix_cases_state"), table_name="cases")
    op.drop_index(op.f("ix_cases_parent"), table_name="cases")
    op.drop_index(op.f("ix_cases_kind"), table_name="cases")
    op.drop_index(op.f("ix_cases_executor"), table_name="cases")
    op.drop_index(op.f("ix_cases_district"), table_name="cases")
    op.drop_index(op.f("ix_cases_category"), table_name="cases")
    op.drop_index(op.f("ix_cases_applicant_identity"), table_name="cases")
    op.drop_table("cases")
