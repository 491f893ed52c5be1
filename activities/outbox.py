"""The outbox relay (issue 24): every letter and notice the cases wrote to the registry's outbox
leaves by its channel, durably, never on a case's move.

A run takes the due notices (queued, not waiting out a backoff, not leased to another relay), leases
each with one conditional UPDATE (so relays in several worker processes never send one notice
together), works out its channel and address, sends it, and writes back what happened:
- sent: the channel (the recipient's SMTP server) took it;
- a temporary failure (the server down, 4xx): tried again after a doubling wait, and failed for good
  once it has failed for the policy's hours;
- a permanent failure (5xx, an unknown recipient, no address at all): failed, with the reason, and
  the department's controller told by a notice of its own.
A crash between sending and recording leaves the lease to run out: the notice is sent again with
the same Message-ID, which the recipient's mail system can drop as a duplicate."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities.channels import PermanentFailure, TemporaryFailure
from activities.letters import render
from activities.mail import SmtpSettings, build_message, send
from activities.pdf_letters import letter_of
from activities.sms import SmsSettings, send_sms, sms_text
from models.activity_names import RELAY_OUTBOX
from models.contacts import contact_channel, is_address
from models.notices import CONTROLLER_RECIPIENT, WATCHED_LETTERS, NotificationRequest, RelayRequest, RelayResult
from models.registry import NotificationRecord, first_row, insert_once, write_lock
from models.users import UserRecord
from policies.loading import load_policy
from runtime.clock import utc_now
from runtime.status_access import status_url

LEASE = timedelta(minutes=5)  # a relay that died mid-send gives the notice back after this


def delivery_policy() -> dict[str, Any]:
    """policies/delivery.yaml (load_policy caches it; a benchmark puts its own rate in here)."""
    return load_policy("delivery")


@dataclass(frozen=True)
class Route:
    channel: str  # email | sms | paper | "" (no address: fails)
    address: str
    why: str = ""  # why there is none


def route(engine: Engine, recipient: str) -> Route:
    """Where a notice's recipient is reached: an e-mail address or a phone as given (an applicant's
    contacts), a staff code by the policy's mailbox or its users' e-mails, a postal address on paper."""
    text = recipient.strip()
    kind = contact_channel(text)
    if kind == "email":
        return Route("email", text)
    if kind == "sms":
        return Route("sms", re.sub(r"[\s()-]", "", text))
    if kind == "staff":
        mailbox = delivery_policy()["mailboxes"].get(text)
        if mailbox:
            return Route("email", str(mailbox))
        with Session(engine) as session:
            users = session.exec(
                select(UserRecord).where(or_(col(UserRecord.id) == text, col(UserRecord.unit) == text))
            ).all()
        emails = sorted({u.email for u in users if not u.disabled and is_address(u.email)})
        if emails:
            return Route("email", ", ".join(emails))
        return Route("", "", f"no address for {text!r}: add a mailbox (policies/delivery.yaml) or a user's e-mail")
    if text:
        return Route("paper", text)
    return Route("", "", "no recipient")


def backoff(attempts: int) -> timedelta:
    retry = delivery_policy()["retry"]
    seconds = min(float(retry["first_seconds"]) * 2 ** max(attempts - 1, 0), float(retry["longest_seconds"]))
    return timedelta(seconds=seconds)


class Pace:
    """At most `per_minute` sends a minute, spread evenly (a provider's rate limit)."""

    def __init__(self, per_minute: float) -> None:
        self.step = 60.0 / per_minute
        self.next = 0.0

    async def turn(self) -> None:
        now = asyncio.get_running_loop().time()
        wait, self.next = max(0.0, self.next - now), max(self.next, now) + self.step
        if wait:
            await asyncio.sleep(wait)


@dataclass(frozen=True)
class Outcome:
    what: str  # sent | retried | failed | waiting
    case: str
    template: str
    to_applicant: bool

    def news_for_case(self) -> bool:
        """A watched letter went (the case may close) or a letter to the applicant failed (it flags
        the case)."""
        return (self.what == "sent" and self.template in WATCHED_LETTERS) or (
            self.what == "failed" and self.to_applicant
        )


class OutboxActivities:
    def __init__(self, engine: Engine, smtp: SmtpSettings | None, sms: SmsSettings | None = None) -> None:
        self.engine = engine
        self.smtp = smtp
        self.sms = sms
        # What this relay sends: a new notice (channel not yet known), and the channels set up here;
        # a notice for a channel that is not waits until it is (paper comes with its own queue).
        self.channels = ("", *(["email"] if smtp else []), *(["sms"] if sms else []))

    @RELAY_OUTBOX.async_method
    async def relay_outbox(self, req: RelayRequest) -> RelayResult:
        """Send what is due now (up to the batch), at the channel's rate."""
        policy = delivery_policy()
        batch = req.batch or int(policy["batch"])
        pace = Pace(float(policy["rate_per_minute"]["email"]))
        gate = asyncio.Semaphore(int(policy.get("connections", 4)))
        result = RelayResult()

        async def one(row_id: int) -> None:
            async with gate:
                await pace.turn()
                done = await self.deliver(row_id)
            setattr(result, done.what, getattr(result, done.what) + 1)
            if done.what == "failed" and done.case:
                result.failed_cases.append(done.case)
            if done.news_for_case() and done.case not in result.news:
                result.news.append(done.case)  # the case is told to look at its letters (it reads the registry)
            if activity.in_activity():
                activity.heartbeat(row_id)

        await asyncio.gather(*(one(row_id) for row_id in await asyncio.to_thread(self.claim, batch)))
        result.remaining = await asyncio.to_thread(self.due_count)
        return result

    def due(self, now: datetime) -> Any:
        n = NotificationRecord
        return (
            select(n.id)
            .where(n.status == "queued", col(n.channel).in_(self.channels))
            .where(or_(col(n.next_attempt_at).is_(None), col(n.next_attempt_at) <= now))
            .where(or_(col(n.claimed_until).is_(None), col(n.claimed_until) < now))
        )

    def due_count(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(self.due(utc_now()).subquery())).one())

    def claim(self, batch: int) -> list[int]:
        """Lease up to `batch` due notices, oldest first; each lease is one conditional UPDATE."""
        now = utc_now()
        with Session(self.engine) as session:
            ids = [i for i in session.exec(self.due(now).order_by(col(NotificationRecord.id)).limit(batch)).all() if i]
        claimed = []
        n = NotificationRecord
        for row_id in ids:
            with write_lock(self.engine), Session(self.engine) as session:
                taken = session.connection().execute(
                    update(n)
                    .where(col(n.id) == row_id, col(n.status) == "queued")
                    .where(or_(col(n.claimed_until).is_(None), col(n.claimed_until) < now))
                    .values(claimed_until=now + LEASE)
                )
                session.commit()
            if taken.rowcount == 1:
                claimed.append(row_id)
        return claimed

    async def deliver(self, row_id: int) -> Outcome:
        """What happened to one notice: sent | retried | failed | waiting."""
        with Session(self.engine) as session:
            notice = session.get(NotificationRecord, row_id)
            assert notice is not None
            session.expunge(notice)

        def outcome(what: str) -> Outcome:
            return Outcome(what, notice.reg_number, notice.template, contact_channel(notice.recipient) != "staff")

        where = route(self.engine, notice.recipient)
        if not where.channel:
            await asyncio.to_thread(self.record_failure, notice, where, where.why, permanent=True)
            return outcome("failed")
        if where.channel not in self.channels:  # its channel is not configured here: it waits
            await asyncio.to_thread(self.wait_for_channel, notice, where)
            return outcome("waiting")
        try:
            sent_as = await (self.text(notice, where) if where.channel == "sms" else self.mail(notice, where))
        except TemporaryFailure as err:
            result = await asyncio.to_thread(self.record_failure, notice, where, str(err), permanent=False)
            return outcome(result)
        except PermanentFailure as err:
            await asyncio.to_thread(self.record_failure, notice, where, str(err), permanent=True)
            return outcome("failed")
        await asyncio.to_thread(self.record_sent, notice, where, sent_as)
        return outcome("sent")

    async def mail(self, notice: NotificationRecord, where: Route) -> str:
        """The notice by e-mail, its official letter attached if it has one; its Message-ID."""
        assert self.smtp is not None  # an e-mail channel is set up, or the notice would have waited
        policy = delivery_policy()
        sender, reply_to, domain = policy["sender"], policy["reply_to"], policy["message_id_domain"]
        letter = await asyncio.to_thread(letter_of, self.engine, notice.key)
        message = build_message(notice, where.address, sender, reply_to, domain, letter[0] if letter else None)
        await send(message, self.smtp)
        return str(message["Message-ID"])

    async def text(self, notice: NotificationRecord, where: Route) -> str:
        """A short notice by SMS (the subject with the number, and the status page's link, within the
        policy's segments); the gateway's id for it."""
        assert self.sms is not None
        policy = delivery_policy()["sms"]
        # An SMS goes to an applicant's phone (staff are reached by e-mail): where to follow the case.
        link = status_url(notice.reg_number) if policy["status_link"] and notice.reg_number else ""
        text = sms_text(notice.reg_number, notice.subject, link, int(policy["max_segments"]))
        return await send_sms(self.sms, where.address, text, notice.key)

    def record_sent(self, notice: NotificationRecord, where: Route, message_id: str) -> None:
        now = utc_now()
        self._write(
            notice.id,
            status="sent",
            sent=True,
            channel=where.channel,
            address=where.address,
            attempts=notice.attempts + 1,
            message_id=message_id,
            sent_at=now,
            claimed_until=None,
            last_error="",
        )

    def wait_for_channel(self, notice: NotificationRecord, where: Route) -> None:
        why = (
            "in the print queue: posted by the registry office (starter.py outbox paper, then outbox posted)"
            if where.channel == "paper"
            else f"waits for the {where.channel} channel, which is not configured here"
        )
        self._write(notice.id, channel=where.channel, address=where.address, claimed_until=None, last_error=why)

    def record_failure(self, notice: NotificationRecord, where: Route, why: str, *, permanent: bool) -> str:
        """A failed attempt: tried again after the backoff, or failed for good (the controller told)."""
        now = utc_now()
        attempts = notice.attempts + 1
        created = notice.created_at if notice.created_at.tzinfo else notice.created_at.replace(tzinfo=now.tzinfo)
        expired = now - created > timedelta(hours=float(delivery_policy()["retry"]["give_up_hours"]))
        if not permanent and not expired:
            self._write(
                notice.id,
                channel=where.channel,
                address=where.address,
                attempts=attempts,
                next_attempt_at=now + backoff(attempts),
                claimed_until=None,
                last_error=why[:500],
            )
            return "retried"
        reason = why if permanent else f"gave up after {attempts} attempts: {why}"
        self._write(
            notice.id,
            status="failed",
            channel=where.channel,
            address=where.address,
            attempts=attempts,
            claimed_until=None,
            last_error=reason[:500],
        )
        if notice.recipient != CONTROLLER_RECIPIENT:  # the controller's own alert failing is not alerted again
            self.alert(notice, reason)
        return "failed"

    def alert(self, notice: NotificationRecord, reason: str) -> None:
        """Tell the department's controller, in the staff language, which notice failed and why."""
        language = str(load_policy("terms")["staff_language"])
        context = {
            "reg_number": notice.reg_number,
            "template": notice.template,
            "subject": notice.subject,
            "recipient": notice.recipient,
            "reason": reason,
        }
        req = NotificationRequest(
            notice.reg_number,
            f"{notice.key}:delivery_failed",
            CONTROLLER_RECIPIENT,
            "delivery_failed",
            language,
            context,
        )
        subject, body = render(req.template, req.language, req.context)
        insert_once(self.engine, NotificationRecord.of(req, subject, body))

    def record_report(self, reference: str, gateway_id: str, status: str, error: str = "") -> tuple[str, str]:
        """A channel's delivery report (an SMS gateway's callback): delivered, or failed for good
        (the controller told). What it changed, or why nothing (an unknown notice changes nothing),
        and the case to tell when the letter is one the case watches ("" otherwise)."""
        n = NotificationRecord
        query = select(n).where(or_(col(n.key) == reference, col(n.message_id) == gateway_id))
        notice: NotificationRecord | None = first_row(self.engine, query.where(col(n.channel) == "sms"))
        if notice is None:
            return "unknown notice", ""
        watched = notice.reg_number if notice.template in WATCHED_LETTERS else ""
        if status == "delivered":
            self._write(notice.id, status="delivered", delivered_at=utc_now())
            return "delivered", watched
        if status in ("failed", "rejected", "expired", "undeliverable"):
            self._write(notice.id, status="failed", last_error=f"gateway report: {status} {error}".strip()[:500])
            self.alert(notice, f"SMS {status}: {error}".strip())
            return "failed", notice.reg_number  # a failed letter to the applicant flags its case
        return f"status {status!r} noted, nothing changed", ""  # an interim report (queued at the operator)

    def _write(self, row_id: int | None, **values: Any) -> None:
        with write_lock(self.engine), Session(self.engine) as session:
            session.connection().execute(
                update(NotificationRecord).where(col(NotificationRecord.id) == row_id).values(**values)
            )
            session.commit()
