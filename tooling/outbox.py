"""The outbox for operators (issue 24): what is pending, failed or held, by case; a failed notice
sent again (with a corrected address, if the contact was wrong) and held ones released, each by a
logged-in user whose role may, and recorded in the case's events with who did it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.registry import EventRecord, NotificationRecord, write_lock
from policies.loading import load_policy
from runtime.clock import utc_now
from tooling.seal import Identity

PENDING = ("queued", "failed", "held")


class OutboxError(Exception):
    """A refused outbox operation (message safe to show)."""


@dataclass(frozen=True)
class Pending:
    key: str
    reg_number: str
    template: str
    recipient: str
    status: str
    channel: str
    attempts: int
    last_error: str
    created_at: str


def pending(engine: Engine, case: str = "", statuses: tuple[str, ...] = PENDING) -> list[Pending]:
    query = select(NotificationRecord).where(col(NotificationRecord.status).in_(statuses))
    if case:
        query = query.where(NotificationRecord.reg_number == case)
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(NotificationRecord.id)).limit(1000)).all()
    return [
        Pending(
            r.key, r.reg_number, r.template, r.address or r.recipient, r.status, r.channel, r.attempts,
            r.last_error, r.created_at.isoformat()[:19],
        )
        for r in rows
    ]  # fmt: skip


def require_role(who: Identity, roles: str, doing: str) -> None:
    """OutboxError unless `who` holds one of policies/delivery.yaml's `roles` list."""
    allowed = list(load_policy("delivery")[roles])
    if not any(role in allowed for role in who.roles):
        raise OutboxError(f"{who.id} may not {doing} (policies/delivery.yaml {roles}: {allowed})")


def operator_event(who: Identity, how: str, case: str, key: str, trigger: str, detail: dict[str, str]) -> EventRecord:
    """What an operator did to a case's notice, as the case's event (who, how they logged in, what)."""
    return EventRecord(
        reg_number=case, key=key, trigger=trigger, actor_id=who.id, actor_role=next(iter(who.roles), ""),
        from_state="", to_state="", at=utc_now().isoformat(), detail=json.dumps(detail, ensure_ascii=False),
        actor_name=who.name, auth=how,
    )  # fmt: skip


def resend(engine: Engine, who: Identity, how: str, case: str, key: str = "", address: str = "") -> list[str]:
    """Queue the case's failed notices (or the one `key` names) again, to `address` if given; the
    keys queued. Recorded as the case's event `notice_resent`, with who and what changed."""
    require_role(who, "resend_roles", "send notices again")
    if address and not address.strip():
        raise OutboxError("address: empty")
    with write_lock(engine), Session(engine) as session:
        query = select(NotificationRecord).where(
            NotificationRecord.reg_number == case, NotificationRecord.status == "failed"
        )
        if key:
            query = query.where(NotificationRecord.key == key)
        rows = list(session.exec(query).all())
        if not rows:
            raise OutboxError(f"{case}: no failed notice{' ' + key if key else ''} to send again")
        now = utc_now()
        for row in rows:
            detail = {"key": row.key, "template": row.template, "was": row.address or row.recipient}
            if address:
                row.recipient, row.address, row.channel = address.strip(), "", ""
                detail["to"] = row.recipient
            row.status, row.next_attempt_at, row.claimed_until, row.attempts = "queued", None, None, 0
            session.add(row)
            session.add(operator_event(who, how, case, f"resend:{row.key}:{now.isoformat()}", "notice_resent", detail))
        session.commit()
        return [row.key for row in rows]


def release_held(engine: Engine, who: Identity) -> int:
    """Queue the notices written before delivery existed (upgrading left them held)."""
    require_role(who, "resend_roles", "send notices again")
    with write_lock(engine), Session(engine) as session:
        rows = list(session.exec(select(NotificationRecord).where(NotificationRecord.status == "held")).all())
        for row in rows:
            row.status = "queued"
            session.add(row)
        session.commit()
        return len(rows)
