"""Issue 22: what one kind alone keeps moves to the card's `detail` (JSON, models/registry_writes.py
KindDetail). An instruction's issuer and kind of control were kept in `category` and `appeal_type`,
and a reception's type was "reception": existing cards are rewritten the way new ones are written.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CASES = sa.table(
    "cases",
    sa.column("reg_number", AutoString()),
    sa.column("kind", AutoString()),
    sa.column("appeal_type", AutoString()),
    sa.column("category", AutoString()),
    sa.column("channel", AutoString()),
    sa.column("addressee", AutoString()),
    sa.column("applicant_name", AutoString()),
    sa.column("detail", AutoString()),
)


def _detail(**fields: str) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


def upgrade() -> None:
    with op.batch_alter_table("cases") as cases:
        cases.add_column(sa.Column("detail", AutoString(), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(CASES.c.reg_number, CASES.c.kind, CASES.c.appeal_type, CASES.c.category, CASES.c.channel,
                  CASES.c.addressee, CASES.c.applicant_name).where(CASES.c.kind.in_(("instruction", "reception")))
    ).all()  # fmt: skip
    for row in rows:
        if row.kind == "instruction":
            detail = _detail(
                detail_of="instruction",
                issuer=row.category,
                control=row.appeal_type,
                issuer_official=row.applicant_name,
            )
            values = {"detail": detail, "category": "", "appeal_type": ""}
        else:
            detail = _detail(detail_of="reception", official=row.addressee, format=row.channel, slot_start="", place="")
            values = {"detail": detail, "appeal_type": ""}
        connection.execute(sa.update(CASES).where(CASES.c.reg_number == row.reg_number).values(**values))


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(CASES.c.reg_number, CASES.c.kind, CASES.c.detail).where(CASES.c.kind == "instruction")
    ).all()
    for row in rows:
        detail = json.loads(row.detail or "{}")
        values = {"category": detail.get("issuer", ""), "appeal_type": detail.get("control", "")}
        connection.execute(sa.update(CASES).where(CASES.c.reg_number == row.reg_number).values(**values))
    connection.execute(sa.update(CASES).where(CASES.c.kind == "reception").values(appeal_type="reception"))
    with op.batch_alter_table("cases") as cases:
        cases.drop_column("detail")
