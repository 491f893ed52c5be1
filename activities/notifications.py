"""Notifications into the outbox and disciplinary proposals: rendered once per idempotency key."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from activities.letters import render
from activities.pdf_letters import letter_documents
from activities.registry import write_notices
from models.activity_names import DRAFT_DISCIPLINARY_PROPOSAL, SEND_NOTIFICATION
from models.notices import NotificationRequest, ProposalRequest
from models.registry import DisciplinaryProposalRecord, insert_once, utcnow, write_lock
from policies.routing import official_of
from runtime.clock import utc_now


class NotificationActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @SEND_NOTIFICATION.method
    def send_notification(self, req: NotificationRequest) -> None:
        subject, body = render(req.template, req.language, req.context)
        rendered = [(req, subject, body)]
        letters = letter_documents(rendered, utc_now().isoformat())
        with write_lock(self.engine), self.engine.begin() as conn:
            write_notices(conn, rendered, letters, utcnow())

    @DRAFT_DISCIPLINARY_PROPOSAL.method
    def draft_disciplinary_proposal(self, req: ProposalRequest) -> None:
        """Draft a proposal naming the official, the appeal and the overdue days, and record it."""
        context = dict(req.context)
        context.update(
            reg_number=req.reg_number,
            executor=req.executor,
            deadline=req.due_date,
            overdue_days=str(req.overdue_working_days),
        )
        write_proposal(
            self.engine,
            "disciplinary_proposal",
            context,
            req.key,
            req.reg_number,
            [req.executor],
            req.due_date,
            req.language,
            overdue_working_days=req.overdue_working_days,
        )


def write_proposal(
    engine: Engine,
    template: str,
    context: dict[str, str],
    key: str,
    reg_number: str,
    executors: list[str],
    due_date: str,
    language: str,
    *,
    overdue_working_days: int = 0,
    status: str = "drafted",
) -> None:
    """A disciplinary proposal (an appeal's, seed 9.4; an instruction's, seed 9.5): its letter in the
    registry, naming the executors and the officials responsible, written once per key."""
    _, body = render(template, language, context)
    record = DisciplinaryProposalRecord(
        key=key,
        reg_number=reg_number,
        executor=",".join(executors),
        official="; ".join(official_of(e) for e in executors),
        due_date=due_date,
        overdue_working_days=overdue_working_days,
        language=language,
        body=body,
        status=status,
    )
    insert_once(engine, record)
