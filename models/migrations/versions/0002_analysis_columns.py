"""Issue 12: what the analysis reads (summary, local receipt date, answer figures), the akim's
control and quality ratings, and the report indexes. Existing rows get the models' defaults.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT = AutoString


def upgrade() -> None:
    with op.batch_alter_table("cases") as cases:
        cases.add_column(sa.Column("received_on", TEXT(), nullable=False, server_default=""))
        cases.add_column(sa.Column("summary", TEXT(), nullable=False, server_default=""))
        cases.add_column(sa.Column("under_control", sa.Boolean(), nullable=False, server_default=sa.false()))
        cases.add_column(sa.Column("answered_on", TEXT(), nullable=False, server_default=""))
        cases.add_column(sa.Column("answer_working_days", sa.Integer(), nullable=True))
        cases.create_index(op.f("ix_cases_answered_on"), ["answered_on"], unique=False)
        cases.create_index("ix_cases_kind_received", ["kind", "received_on"], unique=False)
    with op.batch_alter_table("events") as events:
        events.add_column(sa.Column("quality_rating", sa.Integer(), nullable=True))
        events.create_index("ix_events_trigger_reg", ["trigger", "reg_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as events:
        events.drop_index("ix_events_trigger_reg")
        events.drop_column("quality_rating")
    with op.batch_alter_table("cases") as cases:
        cases.drop_index("ix_cases_kind_received")
        cases.drop_index(op.f("ix_cases_answered_on"))
        for column in ("answer_working_days", "answered_on", "under_control", "summary", "received_on"):
            cases.drop_column(column)
