"""Notifications into the outbox and disciplinary proposals: rendered once per idempotency key."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity

from activities.letters import render
from models.activity_names import DRAFT_DISCIPLINARY_PROPOSAL, SEND_NOTIFICATION
from models.notices import NotificationRequest, ProposalRequest
from models.registry import DisciplinaryProposalRecord, NotificationRecord, write_lock
from policies.routing import official_of


class NotificationActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name=SEND_NOTIFICATION)
    def send_notification(self, req: NotificationRequest) -> None:
        subject, body = render(req.template, req.language, req.context)
        with write_lock(self.engine), Session(self.engine) as session:
            if session.exec(select(NotificationRecord.id).where(NotificationRecord.key == req.key)).first():
                return
            session.add(
                NotificationRecord(
                    key=req.key,
                    reg_number=req.reg_number,
                    recipient=req.recipient,
                    template=req.template,
                    language=req.language,
                    subject=subject,
                    body=body,
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    @activity.defn(name=DRAFT_DISCIPLINARY_PROPOSAL)
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
        with write_lock(self.engine), Session(self.engine) as session:
            if session.exec(
                select(DisciplinaryProposalRecord.id).where(DisciplinaryProposalRecord.key == req.key)
            ).first():
                return
            session.add(
                DisciplinaryProposalRecord(
                    key=req.key,
                    reg_number=req.reg_number,
                    executor=req.executor,
                    official=official,
                    due_date=req.due_date,
                    overdue_working_days=req.overdue_working_days,
                    language=req.language,
                    body=body,
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
