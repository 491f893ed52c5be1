"""The department's intake mailbox (issue 25): an SMTP (or LMTP) receiver that turns each e-mail
into a draft for the registrar, with its text and its files; a draft is registered from the
workbench (the registrar confirms the category, district and applicant). A draft not handled by the
end of the next working day after it came is reported to the registry office: registration is
mandatory (domain.md, "registration")."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from activities.letters import render
from models.appeal import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_TEXT_CHARS
from models.contacts import is_address
from models.intake import AttachmentRecord, MailDraftRecord
from models.notices import REGISTRY_RECIPIENT, NotificationRequest
from models.registry import NotificationRecord, insert_once, write_lock
from policies import calendar
from policies.loading import load_policy
from runtime.clock import utc_now

MAX_MESSAGE_BYTES = 30 * 1024 * 1024


def draft_key(draft_id: int | None) -> str:
    """Where a draft's files are kept until it is registered (then under the case's number)."""
    return f"draft-{draft_id}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(message: EmailMessage) -> str:
    """The message's words: its plain-text part, or its HTML part without the markup."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = str(part.get_content())
    if part.get_content_type() == "text/html":
        parser = _Text()
        parser.feed(text)
        text = " ".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip()[:MAX_TEXT_CHARS]


@dataclass(frozen=True)
class Received:
    draft_id: int
    new: bool


def keep_message(engine: Engine, raw: bytes, now: datetime | None = None) -> Received:
    """An e-mail as a draft (once per Message-ID), with the files the policy accepts."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    message_id = str(message.get("Message-ID", "")).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    types: dict[str, str] = dict(load_policy("intake")["attachment_types"])
    files = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        kind = part.get_content_type()
        if isinstance(content, bytes) and kind in types and len(content) <= MAX_ATTACHMENT_BYTES:
            if content.startswith(types[kind].encode("latin-1")):
                files.append((str(part.get_filename() or "file")[:200], kind, content))
    draft = MailDraftRecord(
        message_id=message_id[:300],
        from_address=address if is_address(address) else "",
        from_name=name[:200],
        subject=str(message.get("Subject", ""))[:300],
        text=plain_text(message),
        received_at=now or utc_now(),
    )
    try:
        with write_lock(engine), Session(engine) as session:
            session.add(draft)
            session.flush()
            for filename, kind, content in files[:MAX_ATTACHMENTS]:
                session.add(
                    AttachmentRecord(
                        reg_number=draft_key(draft.id), sha256=hashlib.sha256(content).hexdigest(), name=filename,
                        content_type=kind, size_bytes=len(content), content=content,
                    )
                )  # fmt: skip
            session.commit()
            assert draft.id is not None
            return Received(draft.id, True)
    except IntegrityError:  # delivered twice (a sender's retry): the first draft
        with Session(engine) as session:
            first = session.exec(select(MailDraftRecord.id).where(MailDraftRecord.message_id == message_id[:300])).one()
        assert first is not None
        return Received(first, False)


class IntakeHandler:
    """aiosmtpd's handler: every message to the intake becomes a draft (a refused one is told why)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import asyncio

        if len(envelope.content) > MAX_MESSAGE_BYTES:
            return "552 5.3.4 Message too big for the appeals intake"
        received = await asyncio.to_thread(keep_message, self.engine, bytes(envelope.content))
        return f"250 2.0.0 Received as draft {received.draft_id}"


def waiting(engine: Engine) -> list[MailDraftRecord]:
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(MailDraftRecord).where(MailDraftRecord.state == "waiting").order_by(col(MailDraftRecord.id))
            ).all()
        )
        for row in rows:
            session.expunge(row)
        return rows


def due_by(received: datetime) -> datetime:
    """When a draft must have been handled: the end of the next working day after it came."""
    day = date.fromisoformat(calendar.local_date(received.isoformat()))
    return calendar.end_of_day(calendar.next_working_day(day + timedelta(days=1)))


def alert_overdue(engine: Engine, now: datetime | None = None) -> int:
    """Tell the registry office, once per draft, of each draft waiting past its term."""
    moment = now or utc_now()
    language = str(load_policy("terms")["staff_language"])
    told = 0
    for draft in waiting(engine):
        received = draft.received_at if draft.received_at.tzinfo else draft.received_at.replace(tzinfo=moment.tzinfo)
        if draft.alerted or due_by(received) > moment:
            continue
        context = {
            "reg_number": draft_key(draft.id),
            "subject": draft.subject,
            "received_at": received.isoformat(),
            "due_by": due_by(received).isoformat(),
        }
        request = NotificationRequest(
            "", f"{draft_key(draft.id)}:mail_draft_overdue", REGISTRY_RECIPIENT, "mail_draft_overdue", language, context
        )
        subject, body = render(request.template, request.language, request.context)
        insert_once(engine, NotificationRecord.of(request, subject, body))
        with write_lock(engine), Session(engine) as session:
            row = session.get(MailDraftRecord, draft.id)
            assert row is not None
            row.alerted = True
            session.add(row)
            session.commit()
        told += 1
    return told


def registered(engine: Engine, draft_id: int, number: str, who: str) -> None:
    """A draft registered as `number`: its files now belong to the case."""
    with write_lock(engine), Session(engine) as session:
        row = session.get(MailDraftRecord, draft_id)
        assert row is not None
        row.state, row.reg_number, row.handled_by = "registered", number, who
        session.add(row)
        for file in session.exec(
            select(AttachmentRecord).where(AttachmentRecord.reg_number == draft_key(draft_id))
        ).all():
            file.reg_number = number
            session.add(file)
        session.commit()


def serve(engine: Engine, host: str, port: int, *, lmtp: bool = False) -> Any:
    """Start the receiver (SMTP, or LMTP behind the department's mail server); the controller."""
    from aiosmtpd.controller import Controller

    if lmtp:
        from aiosmtpd.lmtp import LMTP

        class LmtpController(Controller):
            def factory(self) -> Any:
                return LMTP(self.handler)

        controller: Controller = LmtpController(IntakeHandler(engine), hostname=host, port=port)
    else:
        controller = Controller(IntakeHandler(engine), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    return controller
