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
from models.appeal import AppealInput, parse_appeal, parse_received_at
from models.case_status import CaseStatus
from models.deadlines import DeadlinePlan, DeadlineRequest, TimerPoint
from models.moves import Actor, MoveRecord, MoveRequest
from models.notices import ProposalRequest
from models.policy_snapshot import PolicyRequest
from models.registry_writes import CaseCard, RouteRequest
from runtime import search_attributes as sa
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLES
from workflows.controlled import ControlledWorkflow

ROUTING_ACTOR = Actor(id="routing-policy", role="system")
TIMER_STATES = ("registered", "routed", "under_consideration", "returned_for_finalization")
HEAD_RECIPIENT = "head-of-department"
INSTRUCTION_NEWS = "instruction_news"  # internal: an instruction tells its reception to look again


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(ControlledWorkflow):
    TABLES = APPEAL_TABLES
    CASE = AppealCase
    parse_input = staticmethod(parse_appeal)
    case: AppealCase

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        self.check_input()
        if self.trail.runs == 1:
            await self.register()
        return await self.run_controlled()

    async def register(self) -> None:
        a = self.appeal_()
        snapshot = await self.load_policies(PolicyRequest("appeal", a.type, a.category, a.district, a.executor))
        self.case.extension_max_months = snapshot.rules.extension_max_months
        plan: DeadlinePlan = await self.call(
            PLAN_DEADLINE,
            DeadlineRequest(
                a.reg_number,
                workflow.now().isoformat(),
                parse_received_at(a.received_at).isoformat(),
                snapshot.rules,
                term_working_days=a.term_working_days or snapshot.term_working_days,
                from_receipt=True,
            ),
            DeadlinePlan,
        )
        self.case.original_deadline = plan.due_date
        self.case.forward_by = plan.forward_by
        self.use_plan(plan)
        registered = await self.register_card()
        self.case.possible_repeat_of = registered.possible_repeat_of
        if self.case.possible_repeat_of:
            self.note("possible_repeat", "earlier appeals on this category: " + ", ".join(self.case.possible_repeat_of))
        self.upsert_search_attributes()
        await self.notify("applicant", "acknowledgement", "registered")
        if a.executor:  # an instruction given at a reception goes to the executor the official named
            await self.system_move("route", ROUTING_ACTOR, target=a.executor)
        elif not self.case.possible_repeat_of:  # a possible repeat waits for the registrar's decision
            await self.system_move("route", ROUTING_ACTOR)

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
        )

    # ---- one handler per trigger: what an allowed move does ----
    async def on_route(self, move: MoveRequest) -> str | None:
        executor = move.target
        if not executor:
            a = self.appeal_()
            executor = await self.call(ROUTE_CASE, RouteRequest(a.category, a.district), str)
        record = self.make_move(move, {"executor": executor})
        self.case.executor = executor
        if self.appeal_().reception:
            sheet = {"reception": self.appeal_().reception, "text": self.appeal_().text}
            await self.done(record, ("executor", "instruction_sheet", sheet))
        else:
            await self.done(record, ("executor", "assignment", {"reason": move.reason, "trigger": "route"}))
        return None

    async def on_forward(self, move: MoveRequest) -> str | None:
        detail = {"target": move.target}
        if self.case.forward_by:  # APPC: within 3 working days of receipt
            detail["forward_by"] = self.case.forward_by
            late = workflow.now() > datetime.fromisoformat(self.case.forward_by)
            detail["forward_late"] = "yes" if late else "no"
        record = self.make_move(move, detail)
        await self.done(record, ("applicant", "forwarding_notice", {"target": move.target, "reason": move.reason}))
        return None

    async def on_leave_without_consideration(self, move: MoveRequest) -> str | None:
        return await self.closed_with_notice(move)

    async def on_withdraw(self, move: MoveRequest) -> str | None:
        return await self.closed_with_notice(move)

    async def closed_with_notice(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        context = {"reason": move.reason, "closure": self.trail.closure_reason}
        await self.done(record, ("applicant", "closure_notice", context))
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
        record = self.make_move(move, {"answer_character": move.answer_character})
        self.case.answer_text = move.answer_text
        self.case.answer_character = move.answer_character
        notices = []
        if move.answer_character == "refused" and not self.case.hearing_until:
            # APPC hearing: the applicant is told of the preliminary decision before a refusal is approved.
            end = await self.working_days_after_today(self.rules_().hearing_working_days, "hearing_end")
            self.case.hearing_until = end.legal_at
            self.case.hearing_fires_at = end.fire_at
            self.trail.points.append(end)
            notices.append(("applicant", "preliminary_decision", {"hearing_until": end.legal_at}))
        await self.done(record, *notices)
        return None

    async def on_record_applicant_reply(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        self.case.applicant_replied = True
        await self.done(record)
        return None

    async def on_return_for_finalization(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        self.reset_answer()
        await self.replan(term_working_days=self.rules_().finalization_working_days)
        trigger = "return_for_finalization"
        await self.done(record, ("executor", "assignment", {"reason": move.reason, "trigger": trigger}))
        return None

    async def on_approve(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        letter = {"answer_text": self.case.answer_text, "answer_character": self.case.answer_character}
        await self.done(record, ("applicant", "answer_letter", letter))
        return None

    async def on_extend_deadline(self, move: MoveRequest) -> str | None:
        record = self.make_move(move, {"deadline": f"{self.case.deadline} -> {move.new_deadline}"})
        await self.replan(due_date=move.new_deadline)
        await self.done(record, ("applicant", "extension_notice", {"reason": move.reason}))
        return None

    async def done(self, record: MoveRecord, *notices: tuple[str, str, dict[str, str]]) -> None:
        """What follows every move: the registry write (the move is made for good), the search
        attributes, the notices, and the reception's wake-up for an instruction given there."""
        await self.record(record)
        self.upsert_search_attributes()
        for to, template, context in notices:
            await self.notify(to, template, f"move-{record.seq}", **context)
        await self.tell_reception()

    async def tell_reception(self) -> None:
        """An instruction given at a reception wakes its reception up; the reception reads the
        instruction's real state itself (it never trusts what a signal says)."""
        a = self.appeal_()
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
            ),
            DeadlinePlan,
        )
        self.use_plan(plan)

    def use_plan(self, plan: DeadlinePlan) -> None:
        self.case.deadline = plan.due_date
        self.case.due_at = plan.due_at
        self.case.overdue = workflow.now() >= datetime.fromisoformat(plan.due_at)
        self.trail.points = [p for p in self.trail.points if p.kind == "hearing_end"] + plan.points

    # ---- what a due timer point does ----
    async def on_timer(self, point: TimerPoint) -> None:
        if point.kind == "hearing_end":
            self.case.hearing_elapsed = True
            self.note("hearing_end", "hearing period ended without the applicant's reply")
            return
        if self.case.state not in TIMER_STATES:
            return
        key = f"{point.kind}-{point.legal_at}"
        if point.kind == "reminder":
            self.note("reminder", f"{point.working_days} working day(s) before the term {self.case.deadline}")
            await self.notify("executor", "reminder", key, days_left=str(point.working_days))
        elif point.kind == "escalation":
            self.case.overdue = True
            self.note("escalation", f"term {self.case.deadline} missed; overdue notice to the head")
            await self.record(self.system_record("escalate"), key)
            self.upsert_search_attributes()
            await self.notify("head", "overdue_notice", key)
            await self.tell_reception()
        elif point.kind == "disciplinary":
            executor = self.case.executor or "appeals-dept"
            self.note("disciplinary_proposal", f"drafted for {executor}: {point.working_days} working day(s) overdue")
            number = workflow.info().workflow_id
            request = ProposalRequest(
                number,
                f"{number}:{key}",
                executor,
                self.case.deadline,
                point.working_days,
                self.rules_().staff_language,
                {"category": self.appeal_().category},
            )
            await self.effect(DRAFT_DISCIPLINARY_PROPOSAL, request, f"disciplinary proposal for {executor}")

    # ---- helpers ----
    async def notify(self, to: str, template: str, key: str, **context: str) -> None:
        a = self.appeal_()
        rules = self.rules_()
        if to == "applicant":
            recipient = a.contacts.email or a.contacts.phone or a.contacts.address
            if not recipient:
                self.note("notification_skipped", f"{template}: the applicant left no contacts")
                return
            language = a.language
        else:
            recipient = (self.case.executor or "appeals-dept") if to == "executor" else HEAD_RECIPIENT
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
        base.update(context)
        await self.send(recipient, template, language, key, base)

    def card(self) -> CaseCard:
        a, c = self.appeal_(), self.case
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
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        a, c = self.appeal_(), self.case
        return [
            sa.CASE_CATEGORY.value_set(a.category),
            sa.CASE_DISTRICT.value_set(a.district),
            sa.CASE_OVERDUE.value_set(c.overdue),
            sa.CASE_POSSIBLE_REPEAT.value_set(bool(c.possible_repeat_of)),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, c.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, c.due_at),
        ]

    def case_kind(self) -> str:
        return "reception_instruction" if self.appeal_().reception else "appeal"

    def appeal_(self) -> AppealInput:
        assert isinstance(self.input, AppealInput)
        return self.input
