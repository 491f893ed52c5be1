"""AppealWorkflow: one appeal from registration to closure, as a durable workflow.

Workflow id = registration number. The table is `appeal_table`; the case and its conditions are
`appeal_case`; this module holds what an appeal does when a move is made (one `on_<trigger>`
handler per trigger) or a timer fires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from models.activity_names import DRAFT_DISCIPLINARY_PROPOSAL, PLAN_DEADLINE, ROUTE_CASE
from models.appeal import AppealInput, defects_of, parse_appeal
from models.appeal_moves import LeaveDetails, PartForwardDetails, QualityReview
from models.case_status import CaseStatus, ProposalState
from models.deadlines import DeadlinePlan, DeadlineRequest, TimerPoint
from models.moves import Actor, MoveRecord, MoveRequest
from models.notices import NotificationRequest, ProposalRequest
from models.policy_snapshot import AppealRules, PolicyRequest
from models.registry_writes import SUMMARY_CHARS, CaseCard, RouteRequest
from runtime import search_attributes as sa
from workflows.appeal_case import ADVERSE, AppealCase
from workflows.appeal_table import APPEAL_TABLES
from workflows.appeal_v1 import AppealV1Handlers, Notice
from workflows.controlled import ControlledWorkflow
from workflows.proposals import ProposalDecisions

ROUTING_ACTOR = Actor(id="routing-policy", role="system")
REGISTRATION_ACTOR = Actor(id="registration-policy", role="system")
TIMER_STATES = ("registered", "routed", "under_consideration", "returned_for_finalization")
# Table v2: the legal term is watched in every open state, also while an answer waits for approval.
TIMER_STATES_V2 = (*TIMER_STATES, "answered")
NOT_YET_ANSWERED = ("routed", "under_consideration", "returned_for_finalization")
LEGAL_POINTS = ("reminder", "escalation", "disciplinary", "hearing_start")  # replaced when the legal term moves
HEAD_RECIPIENT = "head-of-department"
CONTROLLER_RECIPIENT = "department-controller"
AKIM_RECIPIENT = "akim-office"  # an undecided disciplinary proposal is escalated there (issue 21)
INSTRUCTION_NEWS = "instruction_news"  # internal: an instruction tells its reception to look again


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(AppealV1Handlers, ProposalDecisions, ControlledWorkflow[AppealInput, AppealCase]):
    TABLES = APPEAL_TABLES
    CASE = AppealCase
    parse_input = staticmethod(parse_appeal)

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        self.check_input()
        if self.trail.runs == 1:
            await self.register()
        return await self.run_controlled()

    @property
    def legal_term_apart(self) -> bool:
        """The legal term and the internal terms kept apart (table v2 and later, issue 9)."""
        return self.table.has("legal_term_apart")

    async def register(self) -> None:
        a = self.input
        snapshot = await self.load_policies(PolicyRequest("appeal", a.type, a.category, a.district, a.executor))
        self.case.extension_max_months = snapshot.rules.extension_max_months
        rules = snapshot.appeal if self.legal_term_apart else None
        if rules is not None:
            self.case.extension_counted_from = rules.extension_counted_from
            self.case.extension_notice_working_days = rules.extension_notice_working_days
            self.case.forward_bodies = list(rules.forward_bodies)
            self.case.known_executors = list(rules.executors)
            if self.table.has("proposals_wait_for_head"):  # issue 21
                self.case.proposal_approval_working_days = rules.proposal_approval_working_days
        plan: DeadlinePlan = await self.call(
            PLAN_DEADLINE,
            DeadlineRequest(
                a.reg_number,
                workflow.now().isoformat(),
                a.received_at,  # naive = local time of that date; the activity applies the zone
                snapshot.rules,
                term_working_days=a.term_working_days or snapshot.term_working_days,
                from_receipt=True,
                watch_forwarding=self.legal_term_apart and not a.reception,
                watch_hearing_start=self.legal_term_apart,
            ),
        )
        self.case.original_deadline = plan.due_date
        self.case.forward_by = plan.forward_by
        self.case.registered_on = plan.registered_on
        self.use_plan(plan)
        registered = await self.register_card()
        self.case.possible_repeat_of = registered.possible_repeat_of
        if self.legal_term_apart:
            self.case.related_to = registered.related_to
            self.case.earlier_answers = dict(registered.earlier_answers)
        if self.case.possible_repeat_of:
            earlier = self.earlier_answers_text() if self.legal_term_apart else ", ".join(self.case.possible_repeat_of)
            self.note("possible_repeat", "earlier appeals on this category: " + earlier)
        if self.case.related_to:
            self.note("related", "earlier open appeals of the same applicant: " + ", ".join(self.case.related_to))
        self.upsert_search_attributes()
        if rules is not None and not a.reception and a.is_anonymous():
            await self.close_anonymous(rules)
            return
        defects = defects_of(a.applicant)
        if defects and not a.reception:  # registered and considered, marked for correction (issue 21)
            self.note("needs_correction", "; ".join(defects))
            await self.notify(
                "controller", "control_alert", "needs-correction", alert="needs_correction", defects="; ".join(defects)
            )
        await self.notify(
            "applicant",
            "acknowledgement",
            "registered",
            accepted_by=a.accepted_by,
            registered_on=self.case.registered_on,
        )
        if a.executor:  # an instruction given at a reception goes to the executor the official named
            await self.system_move("route", ROUTING_ACTOR, target=a.executor)
        elif not self.case.possible_repeat_of:  # a possible repeat waits for a decision
            # The policy snapshot already names the executor the routing policy picks: no second
            # look-up (runs that began before local activities ask `route_case`).
            routed = snapshot.suggested_executor if self.local_effects() else ""
            await self.system_move("route", ROUTING_ACTOR, target=routed)
        elif self.legal_term_apart:
            await self.notify(
                "controller",
                "control_alert",
                "possible-repeat",
                alert="possible_repeat",
                earlier=self.earlier_answers_text(),
            )

    async def close_anonymous(self, rules: AppealRules) -> None:
        """An anonymous appeal is not considered, except a report of a crime or of a threat to
        security, which goes at once to the competent body (policies/appeals.yaml, anonymous)."""
        a = self.input
        if a.category in rules.anonymous_forward_categories:
            await self.system_move(
                "forward",
                REGISTRATION_ACTOR,
                target=rules.anonymous_competent_body,
                reason=f"anonymous report ({a.category}): forwarded at once to the competent body",
            )
        else:
            await self.system_move(
                "leave_without_consideration",
                REGISTRATION_ACTOR,
                reason="anonymous appeal: no name or contacts to answer to",
                details=LeaveDetails(ground="anonymous"),
            )

    def earlier_answers_text(self) -> str:
        return "; ".join(
            f"{number} ({self.case.earlier_answers.get(number, 'answered')})" for number in self.case.possible_repeat_of
        )

    @workflow.query(name="status", description="State, deadline, executor, overdue flag and full history")
    def status(self) -> CaseStatus:
        c = self.case
        return self.case_status(
            deadline=c.deadline,
            due_at=c.due_at,
            overdue=c.overdue,
            possible_repeat_of=list(c.possible_repeat_of),
            answer_character=c.answer_character,
            hearing_until=c.hearing_until,
            forward_by=c.forward_by,
            internal_deadline=c.internal_deadline,
            original_deadline=c.original_deadline,
            related_to=list(c.related_to),
            answered_late=c.answered_late,
            hearing_late=c.hearing_late,
            proposals=list(c.proposals),
        )

    # ---- one handler per trigger: what an allowed move does ----
    async def on_route(self, move: MoveRequest) -> str | None:
        executor = move.target
        if not executor:
            a = self.input
            executor = await self.call(ROUTE_CASE, RouteRequest(a.category, a.district))
        record = self.make_move(move, {"executor": executor})
        self.case.executor = executor
        if self.input.reception:
            sheet = {"reception": self.input.reception, "text": self.input.text}
            await self.done(record, ("executor", "instruction_sheet", sheet))
        else:
            await self.done(record, ("executor", "assignment", {"reason": move.reason, "trigger": "route"}))
        return None

    async def on_consider_as_new(self, move: MoveRequest) -> str | None:
        """The controller found new arguments in a possible repeat: it is routed as a new appeal."""
        a = self.input
        executor = await self.call(ROUTE_CASE, RouteRequest(a.category, a.district))
        record = self.make_move(
            move, {"executor": executor, "possible_repeat_of": ",".join(self.case.possible_repeat_of)}
        )
        self.case.executor = executor
        await self.done(record, ("executor", "assignment", {"reason": move.reason, "trigger": "route"}))
        return None

    async def on_forward_part(self, move: MoveRequest) -> str | None:
        assert isinstance(move.details, PartForwardDetails)
        detail = {"target": move.target, "questions": move.details.questions, **self.forward_timing()}
        record = self.make_move(move, detail)
        self.case.forwarded_parts.append(move.target)
        context = {"target": move.target, "reason": move.reason, "partial": "yes", "questions": move.details.questions}
        await self.done(record, ("applicant", "forwarding_notice", context))
        return None

    def forward_timing(self) -> dict[str, str]:
        """APPC: forward within 3 working days of receipt; a later forwarding is recorded as late."""
        if not self.case.forward_by:
            return {}
        late = workflow.now() > datetime.fromisoformat(self.case.forward_by)
        return {"forward_by": self.case.forward_by, "forward_late": "yes" if late else "no"}

    async def on_forward(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, {"target": move.target, **self.forward_timing()})
        context = {"target": move.target, "reason": move.reason, "partial": "no", "questions": ""}
        await self.done(record, ("applicant", "forwarding_notice", context))
        return None

    async def on_leave_without_consideration(self, move: MoveRequest) -> str | None:
        return await self.closed_with_notice(move)

    async def on_terminate_consideration(self, move: MoveRequest) -> str | None:
        return await self.closed_with_notice(move)

    async def on_withdraw(self, move: MoveRequest) -> str | None:
        return await self.closed_with_notice(move)

    async def closed_with_notice(self, move: MoveRequest) -> str | None:
        ground = getattr(move.details, "ground", "")
        earlier = getattr(move.details, "earlier", "") or ""
        if ground == "repeated_without_new_arguments" and not earlier and self.case.possible_repeat_of:
            earlier = self.case.possible_repeat_of[0]
        record = self.make_move(move, {"ground": ground, "earlier": earlier} if ground else None)
        context = {"reason": move.reason, "closure": self.trail.closure_reason, "ground": ground, "earlier": earlier}
        await self.done(record, ("applicant", "closure_notice", {**context, **self.signature(move)}))
        return None

    async def on_accept(self, move: MoveRequest) -> str | None:
        await self.done(self.make_move(move))
        return None

    async def on_reassign(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, {"target": move.target})
        self.case.executor = move.target
        await self.done(record, ("executor", "assignment", {"reason": move.reason, "trigger": "reassign"}))
        return None

    async def on_submit_answer(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, {"answer_character": move.answer_character, **self.against_legal_term()})
        self.take_answer(move)
        # The finalization term is met by the answer; the legal term is still watched.
        self.case.internal_deadline = self.case.internal_due_at = ""
        self.trail.points = [p for p in self.trail.points if p.kind != "finalization_due"]
        notices: list[Notice] = []
        if move.answer_character in ADVERSE and not self.case.hearing_until:
            end = await self.open_hearing(move, notices)
            if self.case.due_at and self.hearing_leaves_no_time(end.legal_at):
                self.case.hearing_late = True
                self.note(
                    "hearing_past_term", f"the hearing ends {end.legal_at}, after the legal term {self.case.due_at}"
                )
                alert = {"alert": "hearing_late", "hearing_until": end.legal_at, "now": workflow.now().isoformat()}
                notices.append(("head", "control_alert", alert))
        await self.done(record, *notices)
        return None

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

    @staticmethod
    def signature(move: MoveRequest) -> dict[str, str]:
        """Who decided, in what role, and when: what a letter the decision sends is signed with."""
        return {
            "signed_by": move.actor.name or move.actor.id,
            "signed_role": move.actor.role,
            "signed_on": workflow.now().isoformat(),
        }

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

    async def on_record_applicant_reply(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        self.case.applicant_replied = True
        await self.done(record)
        return None

    async def on_take_under_control(self, move: MoveRequest) -> str | None:
        """Table v3: the akim's control (seed 5.4); from now on a return or an approval is rated."""
        record = self.make_move(move, {"under_control": "yes"})
        self.case.under_control = True
        await self.done(record, ("executor", "control_alert", {"alert": "under_control", "reason": move.reason}))
        return None

    def quality_detail(self, move: MoveRequest) -> dict[str, str]:
        """The quality review a return or an approval carries (table v3), for the event record."""
        review = move.details
        if not isinstance(review, QualityReview) or not review.rating:
            return {}
        return {"quality_rating": str(review.rating), "quality_remark": review.remark}

    async def on_return_for_finalization(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, self.quality_detail(move))
        self.reset_answer()
        await self.set_finalization_term()
        record.detail.update({"finalization_term": self.case.internal_deadline, "legal_term": self.case.deadline})
        context = {"reason": move.reason, "trigger": "return_for_finalization"}
        context["internal_deadline"] = self.case.internal_deadline
        await self.done(record, ("executor", "assignment", context))
        return None

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

    async def on_approve(self, move: MoveRequest) -> str | None:
        detail = self.against_legal_term()
        record = self.make_move(move, {**detail, **self.quality_detail(move)})
        self.case.answered_late = detail["late"] == "yes"
        await self.done(record, self.answer_letter(move))
        return None

    def answer_letter(self, move: MoveRequest) -> Notice:
        letter = {"answer_text": self.case.answer_text, "answer_character": self.case.answer_character}
        return ("applicant", "answer_letter", {**letter, **self.signature(move)})

    async def on_extend_deadline(self, move: MoveRequest) -> str | None:
        change = {"deadline": f"{self.case.deadline} -> {move.new_deadline}"}
        # The limit under the case's own policy snapshot, for compliance (issue 21).
        change["extension_limit"] = self.case.extension_limit_date().isoformat()
        record = self.make_move(move, change)
        await self.replan(due_date=move.new_deadline)
        # The applicant must be told within the notice term: a timer checks the notice went out.
        days = self.case.extension_notice_working_days
        point = await self.working_days_after_today(days, "extension_notice_due")
        point.local_day = self.case.deadline
        self.trail.points.append(point)
        await self.done(record, self.extension_notice(move))
        return None

    def extension_notice(self, move: MoveRequest) -> Notice:
        return ("applicant", "extension_notice", {"reason": move.reason, **self.signature(move)})

    async def done(self, record: MoveRecord, *notices: Notice) -> None:
        """What follows every move: the registry write (the move is made for good), the search
        attributes, the notices, and the reception's wake-up for an instruction given there."""
        key = f"move-{record.seq}"
        requests = [self.notice(to, template, key, **context) for to, template, context in notices]
        sent = [r for r in requests if r is not None]
        if self.local_effects():  # one transaction: the event, the card and the notices
            await self.record(record, notices=sent)
            self.upsert_search_attributes()
        else:  # runs that began before local activities: the notices follow the search attributes
            await self.record(record)
            self.upsert_search_attributes()
            for request in sent:
                await self.deliver(request)
        await self.tell_reception()

    async def tell_reception(self) -> None:
        """An instruction given at a reception wakes its reception up; the reception reads the
        instruction's real state itself (it never trusts what a signal says)."""
        a = self.input
        if not a.reception:
            return
        try:
            await workflow.get_external_workflow_handle(a.reception).signal(INSTRUCTION_NEWS, a.reg_number)
        except Exception as err:  # the reception is gone: the instruction is still controlled
            self.note("reception_unreachable", f"{a.reception}: {err}")

    def reset_answer(self) -> None:
        c = self.case
        c.answer_character, c.answer_text, c.hearing_until, c.hearing_fires_at = "", "", "", ""
        c.hearing_elapsed = c.applicant_replied = False
        self.trail.points = [p for p in self.trail.points if p.kind != "hearing_end"]

    async def replan(self, *, term_working_days: int = 0, due_date: str = "") -> None:
        now = workflow.now().isoformat()
        plan: DeadlinePlan = await self.call(
            PLAN_DEADLINE,
            DeadlineRequest(
                workflow.info().workflow_id,
                now,
                now,
                self.rules_(),
                term_working_days=term_working_days,
                due_date=due_date,
                watch_hearing_start=self.legal_term_apart,
            ),
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

    # ---- what a due timer point does: `on_point_<kind>`, found by the point's name ----
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
        # An answer waiting for approval: the approvers are reminded, not the executor.
        await self.notify(
            "head" if waiting_approval else "executor", "reminder", point.key(), days_left=str(point.working_days)
        )

    async def on_point_escalation(self, point: TimerPoint) -> None:
        if not self.watches_legal_term():
            return
        key = point.key()
        self.case.overdue = True
        self.case.executor_at_term = self.case.executor  # who was responsible when the term ended
        where = " while the answer waited for approval" if self.case.state == "answered" else ""
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

    def proposal_detail(self, proposal: ProposalState) -> dict[str, str]:
        return {"proposal": proposal.key, "executor": ", ".join(proposal.executors)}

    def proposal_decided(self, proposal: ProposalState) -> None:
        """Its decision term no longer runs."""
        self.trail.points = [
            p for p in self.trail.points if not (p.kind == "proposal_term" and p.legal_at == proposal.decide_by)
        ]

    def finished(self) -> bool:
        """A closed appeal runs on while a disciplinary proposal awaits the head (issue 21)."""
        return super().finished() and not self.case.awaiting_proposals()

    # The points of the legal term kept apart (table v2 and later, which alone plan them): the
    # hearing's last start day, the finalization term, the extension notice, the forwarding term.
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
        if unsent:
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

    # ---- helpers ----
    async def notify(self, to: str, template: str, key: str, **context: str) -> bool:
        """Send a notice; False when it did not go out (no contacts, or it failed for good)."""
        request = self.notice(to, template, key, **context)
        return request is not None and await self.deliver(request)

    def notice(self, to: str, template: str, key: str, **context: str) -> NotificationRequest | None:
        """The notice to `to` ("applicant", "executor", "controller", "head"); None, noted, when
        the applicant left no contacts."""
        a = self.input
        rules = self.rules_()
        if to == "applicant":
            recipient = a.contacts.email or a.contacts.phone or a.contacts.address
            if not recipient:
                self.note("notification_skipped", f"{template}: the applicant left no contacts")
                return None
            language = a.language
        elif to == "executor":
            recipient, language = self.case.executor or "appeals-dept", rules.staff_language
        else:
            recipient = {"controller": CONTROLLER_RECIPIENT, "akim": AKIM_RECIPIENT}.get(to, HEAD_RECIPIENT)
            language = rules.staff_language
        base = {
            "reg_number": a.reg_number,
            "applicant_name": a.applicant.name,
            "received_at": a.received_at,
            "deadline": self.case.deadline,
            "executor": self.case.executor,
            "category": a.category,
            "district": a.district,
        }
        if self.legal_term_apart:
            base.update(internal_deadline=self.case.internal_deadline, forward_by=self.case.forward_by)
        base.update(context)
        return self.notice_request(recipient, template, language, key, base)

    def card(self) -> CaseCard:
        a, c = self.input, self.case
        return CaseCard(
            reg_number=a.reg_number,
            kind=self.case_kind(),
            appeal_type=a.type,
            channel=a.channel,
            language=a.language,
            category=a.category,
            district=a.district,
            applicant_kind=a.applicant.kind,
            applicant_identity=a.applicant.identity(),
            applicant_name=a.applicant.name,
            applicants_count=a.applicant.applicants_count,
            addressee=a.addressee,
            received_at=a.received_at,
            state=c.state,
            executor=c.executor,
            deadline=c.deadline,
            overdue=c.overdue,
            possible_repeat_of=list(c.possible_repeat_of),
            closure_reason=self.trail.closure_reason,
            answer_character=c.answer_character,
            parent=a.reception,
            workflow_run=workflow.info().first_execution_run_id,
            related_to=list(c.related_to),
            answered_late=c.answered_late,
            answer_excerpt=c.answer_text[:300] if self.trail.closure_reason == "answered" else "",
            summary=a.text[:SUMMARY_CHARS],
            under_control=c.under_control,
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        a, c = self.input, self.case
        return [
            sa.CASE_CATEGORY.value_set(a.category),
            sa.CASE_DISTRICT.value_set(a.district),
            sa.CASE_OVERDUE.value_set(c.overdue),
            sa.CASE_POSSIBLE_REPEAT.value_set(bool(c.possible_repeat_of)),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, c.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, c.due_at),
            *(
                [sa.keyword_or_unset(sa.CASE_CONTROL, sa.UNDER_AKIM_CONTROL if c.under_control else "")]
                if self.table.has("akim_control")
                else []
            ),
        ]

    # ---- the case card (Web UI) ----
    def card_term(self) -> tuple[str, str, list[str]]:
        return self.case.deadline, self.case.due_at, self.case.term_days

    def card_lines(self) -> list[tuple[str, str]]:
        c, lines = self.case, []
        if c.original_deadline and c.original_deadline != c.deadline:
            lines.append(("extended", f"{c.original_deadline} → {c.deadline}"))
        if c.internal_deadline and c.internal_deadline != c.deadline and c.state == "returned_for_finalization":
            lines.append(("finalization", c.internal_deadline))
        if c.hearing_until and not c.applicant_replied and not c.hearing_elapsed:
            lines.append(("hearing", c.hearing_until[:16].replace("T", " ") + " UTC"))
        if c.answer_character and c.state == "answered":
            lines.append(("answer", c.answer_character))
        if c.under_control:
            lines.append(("under_control", "CaseControl = akim"))
        if c.possible_repeat_of:
            lines.append(("possible_repeat", ", ".join(c.possible_repeat_of)))
        return lines

    def example_payload(self, trigger: str) -> dict[str, Any]:
        payload = super().example_payload(trigger)
        waiting = self.case.awaiting_proposals()
        if waiting and trigger in ("approve_proposal", "reject_proposal"):
            payload["target"] = waiting[0].key
        if trigger == "approve" and not self.case.under_control:
            return {"case": payload["case"], "trigger": trigger}  # the rating is optional outside the akim's control
        if trigger == "terminate_consideration" and self.case.possible_repeat_of:
            payload["details"]["earlier"] = self.case.possible_repeat_of[0]
        return payload

    def case_kind(self) -> str:
        return "reception_instruction" if self.input.reception else "appeal"
