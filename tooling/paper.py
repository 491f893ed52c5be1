"""Paper delivery (issue 24) for operators: a letter posted or handed over, with the post's
tracking number, as its case's move `mark_posted` (an open appeal) or, for a closed case's letter,
in the registry as the case's event. The print queue and its daily bundle: activities/paper.py."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.paper import print_bundle, print_queue
from models.registry import NotificationRecord, first_row, write_lock
from runtime.clock import utc_now
from tooling.client import ClientGetter
from tooling.outbox import OutboxError, by_move, operator_event, require_role
from tooling.seal import Identity


def checked_tracking(tracking: str) -> str:
    tracking = tracking.strip()
    if not tracking or len(tracking) > 60:
        raise OutboxError("tracking: the post's tracking number, 1 to 60 characters")
    return tracking


def letter(engine: Engine, key: str) -> NotificationRecord:
    notice: NotificationRecord | None = first_row(
        engine, select(NotificationRecord).where(NotificationRecord.key == key)
    )
    if notice is None:
        raise OutboxError(f"key: {key} is not a letter in the outbox")
    return notice


async def post_letter(
    client: ClientGetter, engine: Engine, who: Identity, how: str, key: str, tracking: str, now: datetime | None = None
) -> NotificationRecord:
    """A letter posted: as its case's move `mark_posted` (an open appeal: the case then knows its
    answer reached the applicant), or in the registry when the case takes no such move."""
    tracking = checked_tracking(tracking)
    case = (await asyncio.to_thread(letter, engine, key)).reg_number
    if await by_move(client, engine, who, how, case, "mark_posted", now, notice=key, tracking=tracking):
        return await asyncio.to_thread(letter, engine, key)
    return await asyncio.to_thread(mark_posted, engine, who, how, key, tracking)


def mark_posted(engine: Engine, who: Identity, how: str, key: str, tracking: str) -> NotificationRecord:
    """A paper letter posted: sent, with the post's tracking number, recorded as the case's event."""
    require_role(who, "mark_posted", "record a posting")
    tracking = checked_tracking(tracking)
    with write_lock(engine), Session(engine) as session:
        notice = session.exec(select(NotificationRecord).where(NotificationRecord.key == key)).first()
        if notice is None or notice.channel != "paper" or notice.status != "queued":
            raise OutboxError(f"key: {key} is not a letter waiting in the print queue")
        now = utc_now()
        notice.status, notice.sent, notice.sent_at, notice.message_id = "sent", True, now, tracking
        notice.attempts += 1
        session.add(notice)
        detail = {"key": key, "tracking": tracking}
        session.add(operator_event(who, how, notice.reg_number, f"posted:{key}", "notice_posted", detail))
        session.commit()
        session.refresh(notice)
        session.expunge(notice)
        return notice


__all__ = ["mark_posted", "post_letter", "print_bundle", "print_queue"]
