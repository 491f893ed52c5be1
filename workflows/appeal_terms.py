"""An appeal's terms: the legal term planned and moved (an extension), the internal ones (the
hearing, finalization, forwarding, the extension notice), and what each due timer point does
(`on_point_<kind>`, found by the point's name)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from models.activity_names import DRAFT_DISCIPLINARY_PROPOSAL
from models.appeal_moves import QualityReview
from models.case_status import ProposalState
from models.deadlines import DeadlinePlan, TimerPoint
from models.moves import MoveRequest
from models.notices import ProposalRequest
from workflows.appeal_base import LEGAL_POINTS, NOT_YET_ANSWERED, TIMER_STATES, TIMER_STATES_V2, AppealBase, Notice


class AppealTerms(AppealBase):
    def forward_timing(self) -> dict[str, str]:
        """APPC: forward within 3 working days of receipt; a later forwarding is recorded as late."""
        if not self.case.forward_by:
            return {}
        late = workflow.now() > datetime.fromisoformat(self.case.forward_by)
        return {"forward_by": self.case.forward_by, "forward_late": "yes" if late else "no"}

    def take_answer(self, move: MoveRequest) -> None:
        self.case.answer_text = move.answer_text
        self.case.answer_character = move.answer_character
        self.case.answered_at = workflow.now().isoformat()

    async def open_hearing(self, move: MoveRequest, notices: list[Notice]) -> TimerPoint:
        """APPC art. 73 hearing: the applicant is told of the preliminary decision first."""
        end = await self.working_days_after_today(self.rules_().hearing_working_days, "hearing_end")
        self.case.hearing_until = end.legal_at
        self.case.hearing_fires_at = end.fire_at
        self.trail.points.append(end)
        context = {"hearing_until": end.legal_at, "answer_character": move.answer_character}
        notices.append(("applicant", "preliminary_decision", context))
        return end

    def hearing_leaves_no_time(self, hearing_until: str) -> bool:
        """Whether a hearing ending then leaves no time to decide inside the legal term. From table
        v5 (issue 21) a hearing must end before the term's last working day begins, since the
        decision comes after it; before, only a hearing ending after the term was late."""
        end = datetime.fromisoformat(hearing_until)
        due = datetime.fromisoformat(self.case.due_at)
        # Both are ends of working days: a hearing ending on the term's last day leaves no day to decide.
        return end >= due if self.table.has("decision_after_hearing") else end > due

    def against_legal_term(self) -> dict[str, str]:
        """The move's time against the legal term as it stands now (original or formally extended)."""
        late = bool(self.case.due_at) and workflow.now() >= datetime.fromisoformat(self.case.due_at)
        return {"legal_term": self.case.deadline, "late": "yes" if late else "no"}

    def quality_detail(self, move: MoveRequest) -> dict[str, str]:
        """The quality review a return or an approval carries (table v3), for the event record."""
        review = move.details
        if not isinstance(review, QualityReview) or not review.rating:
            return {}
        return {"quality_rating": str(review.rating), "quality_remark": review.remark}

    async def set_finalization_term(self) -> None:
        """An internal term for the finalized answer (policy days from tomorrow), never past the
        legal term; the legal term itself does not move (only an extension moves it)."""
        point = await self.working_days_after_today(self.rules_().finalization_working_days, "finalization_due")
        self.trail.points = [p for p in self.trail.points if p.kind != "finalization_due"]
        if self.case.due_at and point.legal_at >= self.case.due_at:
            # Capped at the legal term, whose own timers (escalation, proposal) watch that moment.
            self.case.internal_deadline, self.case.internal_due_at = self.case.deadline, self.case.due_at
            return
        self.case.internal_deadline, self.case.internal_due_at = point.local_day, point.legal_at
        self.trail.points.append(point)

    def reset_answer(self) -> None:
        c = self.case
        c.answer_character, c.answer_text, c.hearing_until, c.hearing_fires_at = "", "", "", ""
        c.hearing_elapsed = c.applicant_replied = False
        self.trail.points = [p for p in self.trail.points if p.kind != "hearing_end"]

    async def replan(self, *, term_working_days: int = 0, due_date: str = "") -> None:
        plan = await self.plan_from_now(
            term_working_days=term_working_days, due_date=due_date, watch_hearing_start=self.legal_term_apart
        )
        self.use_plan(plan)

    def use_plan(self, plan: DeadlinePlan) -> None:
        self.case.term_days = list(plan.term_days)
        self.case.deadline = plan.due_date
        self.case.due_at = plan.due_at
        self.case.overdue = workflow.now() >= datetime.fromisoformat(plan.due_at)
        if self.legal_term_apart:  # the legal plan replaces only the legal points (hearing, finalization, notices stay)
            self.trail.points = [p for p in self.trail.points if p.kind not in LEGAL_POINTS] + plan.points
            return
        self.trail.points = [p for p in self.trail.points if p.kind == "hearing_end"] + plan.points

    async def on_point_proposal_term(self, point: TimerPoint) -> None:
        await self.on_proposal_term(point)

    async def on_point_hearing_end(self, point: TimerPoint) -> None:
        self.case.hearing_elapsed = True
        self.note("hearing_end", "hearing period ended without the applicant's reply")

    def watches_legal_term(self) -> bool:
        """The legal term's points (reminder, escalation, proposal) act only in an open state."""
        return self.case.state in (TIMER_STATES_V2 if self.legal_term_apart else TIMER_STATES)

    async def on_point_reminder(self, point: TimerPoint) -> None:
        if not self.watches_legal_term():
            return
        waiting_approval = self.case.state == "answered"
        self.note("reminder", f"{point.working_days} working day(s) before the term {self.case.deadline}")
        # An answer waiting for approval: the approvers are reminded, not the executor; an approved
        # one waiting for its delivery (table v7): the controller, who watches the letters.
        to = "controller" if self.case.approved_at else "head" if waiting_approval else "executor"
        await self.notify(to, "reminder", point.key(), days_left=str(point.working_days))

    async def on_point_escalation(self, point: TimerPoint) -> None:
        if not self.watches_legal_term():
            return
        key = point.key()
        self.case.overdue = True
        self.case.executor_at_term = self.case.executor  # who was responsible when the term ended
        where = " while the answer waited for approval" if self.case.state == "answered" else ""
        if self.case.approved_at:
            where = " while the approved answer waited for its delivery"
        self.note("escalation", f"term {self.case.deadline} missed{where}; overdue notice to the head")
        await self.record(self.system_record("escalate"), key)
        self.upsert_search_attributes()
        await self.notify("head", "overdue_notice", key)
        await self.tell_reception()

    async def on_point_disciplinary(self, point: TimerPoint) -> None:
        if not self.watches_legal_term():
            return
        if self.case.state == "answered" and self.case.answered_at and self.case.answered_at < self.case.due_at:
            # The executor answered in time; the delay is the approval's, not theirs.
            self.note("disciplinary_skipped", "the executor answered within the term; approval is late")
            return
        # The executor responsible at the term, not whoever holds the appeal now (issue 21).
        executor = self.case.executor_at_term or self.case.executor or "appeals-dept"
        self.note("disciplinary_proposal", f"drafted for {executor}: {point.working_days} working day(s) overdue")
        number = workflow.info().workflow_id
        request = ProposalRequest(
            number,
            f"{number}:{point.key()}",
            executor,
            self.case.deadline,
            point.working_days,
            self.rules_().staff_language,
            {"category": self.input.category},
        )
        await self.effect(DRAFT_DISCIPLINARY_PROPOSAL, request, f"disciplinary proposal for {executor}")
        if self.case.proposal_approval_working_days:
            await self.await_head(request.key, executor)

    async def await_head(self, key: str, executor: str) -> None:
        """A drafted proposal waits for the head's decision within the policy's term (issue 21)."""
        days = self.case.proposal_approval_working_days
        end = await self.working_days_after_today(days, "proposal_term")
        self.case.proposals.append(
            ProposalState(key, [executor], "срок рассмотрения нарушен", "awaiting_approval", end.legal_at)
        )
        self.trail.points.append(end)
        alert = {"alert": "proposal_awaiting", "proposal": key, "decide_by": end.legal_at, "executor": executor}
        await self.notify("head", "control_alert", f"{key}-awaiting", **alert)

    async def on_proposal_term(self, point: TimerPoint) -> None:
        """Nobody decided on a proposal in its term: the akim's office is alerted (escalation)."""
        waiting = [p for p in self.case.awaiting_proposals() if p.decide_by == point.legal_at]
        for proposal in waiting:
            self.note("proposal_overdue", f"{proposal.key} still awaits the head's decision")
            alert = {"alert": "proposal_overdue", "proposal": proposal.key, "decide_by": proposal.decide_by}
            await self.notify("akim", "control_alert", f"{proposal.key}-overdue", **alert)

    async def on_point_hearing_start(self, point: TimerPoint) -> None:
        if self.case.state in NOT_YET_ANSWERED:
            self.note("hearing_start", f"last day to send an adverse preliminary decision: {point.local_day}")
            alert = {"alert": "hearing_start", "start_by": point.local_day, "hearing_days": str(point.working_days)}
            await self.notify("executor", "control_alert", point.key(), **alert)

    async def on_point_finalization_due(self, point: TimerPoint) -> None:
        c, key = self.case, point.key()
        if c.state == "returned_for_finalization":
            self.note("finalization_term_missed", f"finalization term {c.internal_deadline} missed")
            alert = {"alert": "finalization_overdue", "internal_deadline": c.internal_deadline}
            await self.notify("executor", "control_alert", key, **alert)
            await self.notify("controller", "control_alert", f"{key}-controller", **alert)

    async def on_point_extension_notice_due(self, point: TimerPoint) -> None:
        unsent = [e for e in self.trail.failed_effects if e.label == "notice extension_notice"]
        await self.extension_notice_checked(point, told=not unsent)

    async def extension_notice_checked(self, point: TimerPoint, *, told: bool) -> None:
        if not told:
            self.note("extension_notice_overdue", f"the applicant was not told of the term {point.local_day} in time")
            alert = {"alert": "extension_notice_overdue", "notice_days": str(point.working_days)}
            await self.notify("head", "control_alert", point.key(), **alert)
        else:
            self.note("extension_notice_sent", f"the applicant was told of the term {point.local_day} in time")

    async def on_point_forward_reminder(self, point: TimerPoint) -> None:
        await self.forwarding_term(point, overdue=False)

    async def on_point_forward_escalation(self, point: TimerPoint) -> None:
        await self.forwarding_term(point, overdue=True)

    async def forwarding_term(self, point: TimerPoint, *, overdue: bool) -> None:
        c = self.case
        if c.state in ("registered", "routed"):  # competence not yet settled by an accepting executor
            self.note("forward_overdue" if overdue else "forward_reminder", f"forwarding term {c.forward_by}")
            alert = {"alert": "forward_overdue" if overdue else "forward_reminder", "forward_by": c.forward_by}
            await self.notify("head" if overdue else "controller", "control_alert", point.key(), **alert)
