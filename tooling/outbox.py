"""The outbox for operators (issue 24): what is pending, failed or held, by case; a failed notice
sent again (with a corrected address, if the contact was wrong) and held ones released, each by a
logged-in user whose role may, and recorded in the case's events with who did it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from models.contacts import contact_channel
from models.registry import CaseRecord, EventRecord, NotificationRecord, write_lock
from policies.permissions import permission_matrix
from runtime.clock import utc_now
from tooling.client import ClientGetter
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
    staff: bool = False  # to a unit, a role or an office (its mailbox), not to the applicant


def pending(engine: Engine, case: str = "", statuses: tuple[str, ...] = PENDING) -> list[Pending]:
    query = select(NotificationRecord).where(col(NotificationRecord.status).in_(statuses))
    if case:
        query = query.where(NotificationRecord.reg_number == case)
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(NotificationRecord.id)).limit(1000)).all()
    return [
        Pending(
            r.key, r.reg_number, r.template, r.address or r.recipient, r.status, r.channel, r.attempts,
            r.last_error, r.created_at.isoformat()[:19], contact_channel(r.recipient) == "staff",
        )
        for r in rows
    ]  # fmt: skip


def letter_roles(trigger: str) -> list[str]:
    """Who may make a letter's move (resend_notice, mark_posted): the appeal's permissions, for
    every case's letters (policies/permissions.yaml)."""
    return permission_matrix("appeal").roles_for(trigger)


def require_role(who: Identity, trigger: str, doing: str) -> str:
    """The role `who` makes the letter's move `trigger` in; OutboxError if they hold none."""
    allowed = letter_roles(trigger)
    role = next((r for r in who.roles if r in allowed), "")
    if not role:
        raise OutboxError(f"{who.id} may not {doing} (policies/permissions.yaml appeal {trigger}: {allowed})")
    return role


DOING = {"resend_notice": "send notices again", "mark_posted": "record a posting"}


async def by_move(
    client: ClientGetter,
    engine: Engine,
    who: Identity,
    how: str,
    case: str,
    trigger: str,
    now: datetime | None = None,
    **details: str,
) -> bool:
    """Make a letter's move on its case (table v7 appeals: sealed, checked and recorded by the
    case, which then knows its letter moved on). False when the case takes no such move (closed,
    another kind, or an older table): the caller then writes the registry itself."""
    from tooling.client import transition  # the Temporal client's side, kept out of the registry's

    role = require_role(who, trigger, DOING[trigger])
    card = await asyncio.to_thread(_card_state, engine, case)
    if card is None:
        raise OutboxError(f"{case}: no such case in the registry")
    if card != ("appeal", "open"):
        return False
    try:
        handle = (await client()).get_workflow_handle(case)
        await transition(handle, trigger, who, role, method=how, now=now, details=details)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and refusal_code(cause) == "unknown_trigger":
            return False  # registered under an older table: the registry path
        raise OutboxError(str(getattr(cause, "message", "") or cause)) from None
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False  # its workflow has ended
        raise OutboxError(f"Temporal is not reachable ({err.message}); nothing was changed") from None
    return True


def refusal_code(err: ApplicationError) -> str:
    detail = err.details[0] if err.details and isinstance(err.details[0], dict) else {}
    return str(detail.get("code", ""))


def _card_state(engine: Engine, case: str) -> tuple[str, str] | None:
    with Session(engine) as session:
        card = session.get(CaseRecord, case)
        if card is None:
            return None
        return card.kind, "closed" if card.state == "closed" else "open"


async def resend_letters(
    client: ClientGetter,
    engine: Engine,
    who: Identity,
    how: str,
    case: str,
    key: str = "",
    address: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Send the case's failed letters (or the one `key` names) again: each as the case's move
    `resend_notice`, or in the registry when the case takes no such move. `now` is the seal's time
    (default: this host's clock)."""
    if address and not address.strip():
        raise OutboxError("address: empty")
    failed = [p for p in pending(engine, case, ("failed",)) if not key or p.key == key]
    if not failed:
        raise OutboxError(f"{case}: no failed notice{' ' + key if key else ''} to send again")
    done = []
    for one in failed:
        # A corrected address is the applicant's: a staff notice goes to its mailbox as the policy says.
        to = "" if one.staff else address
        if await by_move(client, engine, who, how, case, "resend_notice", now, notice=one.key, address=to):
            done.append(one.key)
        else:
            done += await asyncio.to_thread(resend, engine, who, how, case, one.key, to)
    return done


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
    require_role(who, "resend_notice", "send notices again")
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
            if address and contact_channel(row.recipient) != "staff":  # never a staff notice's
                row.recipient, row.address, row.channel = address.strip(), "", ""
                detail["to"] = row.recipient
            row.status, row.next_attempt_at, row.claimed_until, row.attempts = "queued", None, None, 0
            session.add(row)
            session.add(operator_event(who, how, case, f"resend:{row.key}:{now.isoformat()}", "notice_resent", detail))
        session.commit()
        return [row.key for row in rows]


def release_held(engine: Engine, who: Identity) -> int:
    """Queue the notices written before delivery existed (upgrading left them held)."""
    require_role(who, "resend_notice", "send notices again")
    with write_lock(engine), Session(engine) as session:
        rows = list(session.exec(select(NotificationRecord).where(NotificationRecord.status == "held")).all())
        for row in rows:
            row.status = "queued"
            session.add(row)
        session.commit()
        return len(rows)
