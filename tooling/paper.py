"""Paper delivery (issue 24): letters for applicants who gave only a postal address wait in a print
queue. `print_bundle` makes the registry office's daily PDF: a register list (number, case,
addressee, address, letter) and then every letter, each from a new page; `mark_posted` records a
letter's dispatch with the post's tracking number, by a user whose role may, as the case's event."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.registry import NotificationRecord, write_lock
from runtime.clock import utc_now
from tooling.outbox import OutboxError, operator_event, require_role
from tooling.seal import Identity

BUNDLE = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent), autoescape=select_autoescape(["html", "j2"])
).get_template("paper_bundle.html.j2")


def print_queue(engine: Engine) -> list[NotificationRecord]:
    with Session(engine) as session:
        query = select(NotificationRecord).where(
            NotificationRecord.channel == "paper", NotificationRecord.status == "queued"
        )
        rows = list(session.exec(query.order_by(col(NotificationRecord.id))).all())
        for row in rows:
            session.expunge(row)
        return rows


def print_bundle(engine: Engine, day: date, folder: Path) -> tuple[Path | None, int]:
    """The day's bundle of every letter waiting in the print queue (None when none waits)."""
    from weasyprint import HTML

    queued = print_queue(engine)
    if not queued:
        return None, 0
    notices = [
        {
            "reg_number": n.reg_number,
            "name": n.body.split("\n", 1)[0].strip() if n.body.startswith(("Уважаем", "Құрметті")) else "",
            "address": n.address or n.recipient,
            "subject": n.subject,
            "paragraphs": [p.strip() for p in n.body.split("\n\n") if p.strip()],
        }
        for n in queued
    ]
    title = f"Реестр почтовых отправлений / Пошта жөнелтілімдерінің тізілімі {day.strftime('%d.%m.%Y')}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"paper-{day.isoformat()}.pdf"
    HTML(string=BUNDLE.render(title=title, notices=notices)).write_pdf(str(path))
    return path, len(notices)


def mark_posted(engine: Engine, who: Identity, how: str, key: str, tracking: str) -> NotificationRecord:
    """A paper letter posted: sent, with the post's tracking number, recorded as the case's event."""
    require_role(who, "post_roles", "record a posting")
    tracking = tracking.strip()
    if not tracking or len(tracking) > 60:
        raise OutboxError("tracking: the post's tracking number, 1 to 60 characters")
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
