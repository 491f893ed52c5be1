"""AppealWorkflow: one appeal from registration to closure, as a durable workflow.

Workflow id = registration number. The table is `appeal_table`; the case and its conditions are
`appeal_case`; this module holds the registration and what an appeal does when a move is made (one
`on_<trigger>` handler per trigger). Its letters, card and registry write are `appeal_base`, its
terms and timer points `appeal_terms`, table v1's own handlers `appeal_v1`.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from models.activity_names import PLAN_DEADLINE, ROUTE_CASE
from models.appeal import defects_of
from models.appeal_moves import ForwardPartDetails, LeaveDetails, PartForwardDetails
from models.case_status import AppealFacts, CaseStatus, ProposalState
from models.deadlines import DeadlinePlan, DeadlineRequest
from models.moves import MoveRequest
from models.notices import DELIVERY_NEWS
from models.policy_snapshot import AppealRules
from models.registry_writes import RouteRequest
from workflows.appeal_base import REGISTRATION_ACTOR, ROUTING_ACTOR, Notice
from workflows.appeal_case import ADVERSE
from workflows.appeal_delivery import AppealDelivery
from workflows.appeal_v1 import AppealV1Handlers
from workflows.proposals import ProposalDecisions


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(AppealV1Handlers, AppealDelivery, ProposalDecisions):
    INTERNAL_SIGNALS = {DELIVERY_NEWS: "delivery_news"}

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        self.check_input()
        if self.trail.runs == 1:
            await self.register()
        return await self.run_controlled()

    async def register(self) -> None:
        a = self.input
        snapshot = await self.load_policies(self.policy_request(a))
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
        registered = await self.register_card(self.registered_by)
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

    def facts(self) -> AppealFacts:
        c = self.case
        return AppealFacts(
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
            approved_at=c.approved_at,
            answer_letter=c.answer_letter,
            delivery=c.delivery_status,
            delivery_channel=c.delivery_channel,
            delivered_at=c.delivered_at,
            delivery_error=c.delivery_error,
        )

    def is_overdue(self) -> bool:
        return self.case.overdue

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
        assert isinstance(move.details, PartForwardDetails | ForwardPartDetails)  # v2-v5 | v6
        detail = {"target": move.target, "questions": move.details.questions, **self.forward_timing()}
        record = self.make_move(move, detail)
        self.case.forwarded_parts.append(move.target)
        context = {"target": move.target, "reason": move.reason, "partial": "yes", "questions": move.details.questions}
        await self.done(record, ("applicant", "forwarding_notice", context))
        return None

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

    async def on_return_for_finalization(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, self.quality_detail(move))
        self.reset_answer()
        await self.set_finalization_term()
        record.detail.update({"finalization_term": self.case.internal_deadline, "legal_term": self.case.deadline})
        context = {"reason": move.reason, "trigger": "return_for_finalization"}
        context["internal_deadline"] = self.case.internal_deadline
        await self.done(record, ("executor", "assignment", context))
        return None

    async def on_approve(self, move: MoveRequest) -> str | None:
        if self.answered_when_delivered:  # table v7: closed when the letter is delivered
            await self.approve_and_send(move)
            return None
        detail = self.against_legal_term()
        record = self.make_move(move, {**detail, **self.quality_detail(move)})
        self.case.answered_late = detail["late"] == "yes"
        await self.done(record, self.answer_letter(move))
        return None

    async def on_extend_deadline(self, move: MoveRequest) -> str | None:
        change = {"deadline": f"{self.case.deadline} -> {move.new_deadline}"}
        # The limit under the case's own policy snapshot, for compliance (issue 21).
        change["extension_limit"] = self.case.extension_limit_date().isoformat()
        record = self.make_move(move, change)
        if self.answered_when_delivered:  # its delivery is checked in the notice term (table v7)
            self.case.extension_notice = self.notice_key("extension_notice", f"move-{record.seq}")
        await self.replan(due_date=move.new_deadline)
        # The applicant must be told within the notice term: a timer checks the notice went out.
        days = self.case.extension_notice_working_days
        point = await self.working_days_after_today(days, "extension_notice_due")
        point.local_day = self.case.deadline
        self.trail.points.append(point)
        await self.done(record, self.extension_notice(move))
        return None

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
