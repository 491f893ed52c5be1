"""The print queue (issue 24): letters for applicants who gave only a postal address wait for the
post. `print_bundle` makes the registry office's daily PDF: a register list (number, case,
addressee, address, letter) and then every letter, each from a new page. A Schedule writes it on
working days (ReportWorkflow, kind `paper`); `starter.py outbox paper` writes it by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.registry import NotificationRecord

BUNDLE = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=select_autoescape(["html", "j2"])
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
