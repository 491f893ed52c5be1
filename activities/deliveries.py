"""A case's letters as the registry knows their delivery (issue 24), and the changes a move on the
case makes to them (sent again to a corrected address, posted). The relay writes what a channel
did; the case reads it here, so a message that tells a case "your letter went" is never trusted
for what it says: the case looks itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from activities.outbox import delivery_policy
from models.activity_names import READ_DELIVERIES
from models.contacts import contact_channel
from models.notices import (
    AKIM_RECIPIENT,
    CONTROLLER_RECIPIENT,
    HEAD_RECIPIENT,
    DeliveryFact,
    DeliveryFacts,
    DeliveryQuery,
    OutboxChange,
)
from models.registry import NotificationRecord

STAFF = (HEAD_RECIPIENT, CONTROLLER_RECIPIENT, AKIM_RECIPIENT)


class OutboxChangeRefused(Exception):
    """A letter that is not in the state the change needs (nothing is written)."""


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fact_of(row: NotificationRecord, delivered_when: dict[str, str]) -> DeliveryFact:
    """The letter's delivery; `reached_at` by its channel's rule (a status at or past the one the
    policy names: `delivered` is past `sent`)."""
    needed = delivered_when.get(row.channel, "delivered")
    reached = row.status == "delivered" or (row.status == "sent" and needed == "sent")
    moment = row.delivered_at or row.sent_at if row.status == "delivered" else row.sent_at
    return DeliveryFact(
        key=row.key,
        template=row.template,
        status=row.status,
        channel=row.channel,
        reached_at=as_utc(moment).isoformat() if reached and moment else "",
        error=row.last_error if row.status == "failed" else "",
        tracking=row.message_id if row.channel == "paper" else "",
        to_applicant=row.recipient not in STAFF and contact_channel(row.recipient) != "staff",
    )


def delivery_facts(engine: Engine, query: DeliveryQuery) -> DeliveryFacts:
    n = NotificationRecord
    statement = select(n).where(n.reg_number == query.reg_number)
    if query.keys:
        statement = statement.where(col(n.key).in_(query.keys))
    else:
        statement = statement.where(col(n.recipient).not_in(STAFF))
    with Session(engine) as session:
        rows = session.exec(statement.order_by(col(n.id)).limit(500)).all()
    rule = dict(delivery_policy()["delivered_when"])
    facts = [fact_of(row, rule) for row in rows]
    return DeliveryFacts(facts if query.keys else [f for f in facts if f.to_applicant])


class DeliveryActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @READ_DELIVERIES.method
    def read_deliveries(self, query: DeliveryQuery) -> DeliveryFacts:
        """The delivery of the case's letters (the ones named, or every letter to the applicant)."""
        return delivery_facts(self.engine, query)


def apply_outbox_change(conn: Connection, reg_number: str, change: OutboxChange, now: datetime) -> None:
    """Write a move's change to one of its case's letters, in the move's transaction; refused
    (OutboxChangeRefused, the transaction rolled back) unless the letter is in the state it needs."""
    n = NotificationRecord
    row = col(n.key) == change.key
    mine = col(n.reg_number) == reg_number
    values: dict[str, Any]
    if change.action == "requeue":
        condition = [row, mine, col(n.status) == "failed"]
        values = {"status": "queued", "next_attempt_at": None, "claimed_until": None, "attempts": 0}
        if change.address:
            values.update(recipient=change.address, address="", channel="")
    elif change.action == "posted":  # on paper from the print queue, or a letter handed over instead of its e-mail
        free = or_(col(n.claimed_until).is_(None), col(n.claimed_until) < now)  # no relay is sending it now
        condition = [row, mine, col(n.status).in_(("queued", "failed")), free]
        posted = datetime.fromisoformat(change.at) if change.at else now
        values = {
            "status": "sent",
            "sent": True,
            "channel": "paper",
            "sent_at": posted,
            "message_id": change.tracking,
            "last_error": "",
        }
    else:
        raise OutboxChangeRefused(f"unknown change {change.action!r}")
    done = conn.execute(update(n).where(*condition).values(**values))
    if done.rowcount != 1:
        wanted = "failed" if change.action == "requeue" else "still to send"
        raise OutboxChangeRefused(f"{change.key}: not a letter of {reg_number} {wanted}")
