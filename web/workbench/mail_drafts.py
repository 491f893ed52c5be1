"""The intake mailbox's drafts as the workbench shows and registers them (issue 25): the form filled
in from the e-mail (its sender, its words), its receipt time and its files carried into the appeal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from activities.mail_intake import draft_key
from models.intake import AttachmentRecord, MailDraftRecord


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def waiting_drafts(engine: Engine) -> list[tuple[MailDraftRecord, int]]:
    """Drafts waiting for a registrar, the oldest first, with how many files each has."""
    with Session(engine) as session:
        rows = session.exec(
            select(MailDraftRecord).where(MailDraftRecord.state == "waiting").order_by(col(MailDraftRecord.id))
        ).all()
        counts = dict(
            session.exec(
                select(AttachmentRecord.reg_number, func.count())
                .where(col(AttachmentRecord.reg_number).in_([draft_key(r.id) for r in rows]))
                .group_by(col(AttachmentRecord.reg_number))
            ).all()
        )
        for row in rows:
            session.expunge(row)
    return [(row, int(counts.get(draft_key(row.id), 0))) for row in rows]


def draft_of(engine: Engine, draft_id: int) -> tuple[MailDraftRecord, list[str], list[dict[str, Any]]] | None:
    """A waiting draft, its files' names, and their metadata as an appeal's input names them."""
    with Session(engine) as session:
        draft = session.get(MailDraftRecord, draft_id)
        if draft is None or draft.state != "waiting":
            return None
        files = session.exec(select(AttachmentRecord).where(AttachmentRecord.reg_number == draft_key(draft_id))).all()
        session.expunge(draft)
        names = [f.name for f in files]
        meta = [{"name": f.name, "size_bytes": f.size_bytes, "sha256": f.sha256} for f in files]
    return draft, names, meta


def draft_fields(draft: MailDraftRecord) -> dict[str, Any]:
    """The registration form as the e-mail fills it in (the registrar confirms or corrects it)."""
    text = f"{draft.subject}\n\n{draft.text}".strip() if draft.subject else draft.text
    return {
        "type": "application",
        "channel": "electronic",
        "text": text,
        "applicant_kind": "person",
        "name": draft.from_name,
        "email": draft.from_address,
        "language": "ru",
    }


def draft_input(draft: MailDraftRecord, files: list[dict[str, Any]]) -> dict[str, Any]:
    """What the e-mail gives the appeal beyond the form: when it came, and its files."""
    return {"received_at": as_utc(draft.received_at).isoformat(), "attachments": files}
