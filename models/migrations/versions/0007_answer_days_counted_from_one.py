"""Issue 26: the working days an answer took count the registration day as day 1, as the law counts
a term; the cards written before counted from 0 (the performance table's average was one short).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text("UPDATE cases SET answer_working_days = answer_working_days + 1 WHERE answer_working_days IS NOT NULL")
    )


def downgrade() -> None:
    op.execute(
        sa.text("UPDATE cases SET answer_working_days = answer_working_days - 1 WHERE answer_working_days IS NOT NULL")
    )
