"""Notifications into the outbox and disciplinary proposals: rendered once per idempotency key."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from activities.letters import render
from models.activity_names import DRAFT_DISCIPLINARY_PROPOSAL, SEND_NOTIFICATION
from models.notices import NotificationRequest, ProposalRequest
from models.registry import DisciplinaryProposalRecord, NotificationRecord, insert_once
from policies.routing import official_of


class NotificationActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @SEND_NOTIFICATION.method
    def send_notification(self, req: NotificationRequest) -> None:
        subject, body = render(req.template, req.language, req.context)
        insert_once(self.engine, NotificationRecord.of(req, subject, body))

    @DRAFT_DISCIPLINARY_PROPOSAL.method
    def draft_disciplinary_proposal(self, req: ProposalRequest) -> None:
        """Draft a proposal naming the official, the appeal and the overdue days, and record it."""
        official = official_of(req.executor)
        context = dict(req.context)
        context.update(
            reg_number=req.reg_number,
            executor=req.executor,
            deadline=req.due_date,
            overdue_days=str(req.overdue_working_days),
        )
        _, body = render("disciplinary_proposal", req.language, context)
        insert_once(
            self.engine,
            DisciplinaryProposalRecord(
                key=req.key,
                reg_number=req.reg_number,
                executor=req.executor,
                official=official,
                due_date=req.due_date,
                overdue_working_days=req.overdue_working_days,
                language=req.language,
                body=body,
            ),
        )
