"""Issue 23: a session opened by the organisation's identity provider (the workbench's OIDC log-in)
keeps the identity its ID token proved (`identity`, JSON: id, name, roles, unit), since that user
is not in the embedded directory. A directory session keeps it empty.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as sessions:
        sessions.add_column(sa.Column("identity", AutoString(), nullable=False, server_default=""))


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM sessions WHERE identity != ''"))  # their users are not in the directory
    with op.batch_alter_table("sessions") as sessions:
        sessions.drop_column("identity")
