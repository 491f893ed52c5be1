"""AppealWorkflow: one appeal from registration to closure, as a durable workflow.

Workflow id = registration number. The table is `appeal_table`; the conditions are
`appeal_case`; this module holds only what an appeal does when a move is made or a timer fires.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from models.appeal import AppealInput, parse_appeal, parse_received_at
from models.control import (
    DRAFT_DISCIPLINARY_PROPOSAL,
    PLAN_DEADLINE,
    REGISTER_CASE,
    ROUTE_CASE,
    CaseCard,
    CaseStatus,
    ControlRules,
    DeadlinePlan,
    DeadlineRequest,
    InstructionUpdate,
    PolicyRequest,
    ProposalRequest,
    RegisterResult,
    RouteRequest,
    TimerPoint,
)
from models.errors import InputError
from models.moves import Actor, MoveRecord, MoveRequest
from runtime import search_attributes as sa
from runtime.failures import invalid
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLE
from workflows.case_machine import CaseMachine
from workflows.controlled import ControlledWorkflow

ROUTING_ACTOR = Actor(id="routing-policy", role="system")
TIMER_STATES = ("registered", "routed", "under_consideration", "returned_for_finalization")
HEAD_RECIPIENT = "head-of-department"


@workflow.defn(name="AppealWorkflow")
class AppealWorkflow(ControlledWorkflow):
    TABLE = APPEAL_TABLE

    @workflow.init
    def __init__(self, appeal: Any) -> None:
        self.case = AppealCase()
        self.setup_control(CaseMachine(self.TABLE, self.case))
        self.rules: ControlRules | None = None
        self.suggested_executor = ""
        self.possible_repeat_of: list[str] = []
        self.overdue = False
        self.due_at = ""
        self.forward_by = ""
        self.answer_text = ""
        self.input_error = ""
        self.appeal: AppealInput | None = None
        try:
            self.appeal = parse_appeal(appeal)
            if self.appeal.reg_number != workflow.info().workflow_id:
                raise InputError("reg_number", "must equal the workflow id")
        except InputError as err:
            self.input_error = str(err)

    @workflow.run
    async def run(self, appeal: Any) -> CaseStatus:
        if self.input_error or self.appeal is None:
            raise invalid(f"invalid appeal: {self.input_error}")
        a = self.appeal
        snapshot = await self.load_policies(PolicyRequest("appeal", a.type, a.category, a.district, a.executor))
        self.case.extension_max_months = snapshot.rules.extension_max_months
        self.suggested_executor = snapshot.suggested_executor

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
        self.forward_by = plan.forward_by
        self.use_plan(plan)
        registered: RegisterResult = await self.call(REGISTER_CASE, self.card(), RegisterResult)
        self.possible_repeat_of = registered.possible_repeat_of
        if self.possible_repeat_of:
            self.note("possible_repeat", "earlier appeals on this category: " + ", ".join(self.possible_repeat_of))
        self.upsert_search_attributes()
        await self.notify("applicant", "acknowledgement", "registered")
        if a.executor:  # an instruction given at a reception goes to the executor the official named
            await self.system_move("route", ROUTING_ACTOR, target=a.executor)
        elif not self.possible_repeat_of:  # a possible repeat waits for the registrar's decision
            await self.system_move("route", ROUTING_ACTOR)
        await self.control_loop()
        return self.status()

    @workflow.query(name="status", description="State, deadline, executor, overdue flag and full history")
    def status(self) -> CaseStatus:
        return self.case_status(
            deadline=self.case.deadline,
            due_at=self.due_at,
            overdue=self.overdue,
            possible_repeat_of=list(self.possible_repeat_of),
            answer_character=self.case.answer_character,
            hearing_until=self.case.hearing_until,
            forward_by=self.forward_by,
        )

    # ---- what an allowed move does ----
    async def perform(self, move: MoveRequest) -> str | None:
        trig = move.trigger
        detail: dict[str, str] = {}
        if trig == "route":
            executor = move.target
            if not executor:
                a = self.appeal
                assert a is not None
                executor = await self.call(ROUTE_CASE, RouteRequest(a.category, a.district), str)
            detail["executor"] = executor
        elif trig in ("reassign", "forward"):
            detail["target"] = move.target
            if trig == "forward" and self.forward_by:  # APPC: within 3 working days of receipt
                detail["forward_by"] = self.forward_by
                detail["forward_late"] = "yes" if workflow.now() > datetime.fromisoformat(self.forward_by) else "no"
        elif trig == "extend_deadline":
            detail["deadline"] = f"{self.case.deadline} -> {move.new_deadline}"
        elif trig == "submit_answer":
            detail["answer_character"] = move.answer_character
        record = self.make_move(move, detail)
        if trig in ("route", "reassign"):
            self.case.executor = detail.get("executor") or move.target
        elif trig == "submit_answer":
            await self.answer_submitted(move)
        elif trig == "record_applicant_reply":
            self.case.applicant_replied = True
        elif trig == "return_for_finalization":
            self.reset_answer()
            await self.replan(term_working_days=self.rules_().finalization_working_days)
        elif trig == "extend_deadline":
            await self.replan(due_date=move.new_deadline)
        await self.record(record)
        self.upsert_search_attributes()
        await self.notify_after(record, move)
        await self.tell_reception()
        return None

    async def tell_reception(self) -> None:
        """An instruction given at a reception keeps its reception informed (the reception's state
        follows its instructions)."""
        a = self.appeal_()
        if not a.reception:
            return
        update = InstructionUpdate(
            a.reg_number, self.case.executor, self.machine.state, self.overdue, self.closure_reason, self.case.deadline
        )
        try:
            await workflow.get_external_workflow_handle(a.reception).signal("instruction_update", update)
        except Exception as err:  # the reception is gone: the instruction is still controlled
            self.note("reception_unreachable", f"{a.reception}: {err}")

    async def answer_submitted(self, move: MoveRequest) -> None:
        self.answer_text = move.answer_text
        self.case.answer_character = move.answer_character
        if move.answer_character == "refused" and not self.case.hearing_until:
            # APPC hearing: the applicant is told of the preliminary decision before a refusal is approved.
            end = await self.working_days_after_today(self.rules_().hearing_working_days, "hearing_end")
            self.case.hearing_until = end.legal_at
            self.case.hearing_fires_at = end.fire_at
            self.points.append(end)
            await self.notify(
                "applicant", "preliminary_decision", f"hearing-{len(self.machine.history)}", hearing_until=end.legal_at
            )

    def reset_answer(self) -> None:
        self.case.answer_character = ""
        self.case.hearing_until = ""
        self.case.hearing_elapsed = False
        self.case.hearing_fires_at = ""
        self.case.applicant_replied = False
        self.answer_text = ""
        self.points = [p for p in self.points if p.kind != "hearing_end"]

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
        self.due_at = plan.due_at
        self.overdue = workflow.now() >= datetime.fromisoformat(plan.due_at)
        self.points = [p for p in self.points if p.kind == "hearing_end"] + plan.points

    async def notify_after(self, record: MoveRecord, move: MoveRequest) -> None:
        key = f"move-{record.seq}"
        if record.trigger == "forward":
            await self.notify("applicant", "forwarding_notice", key, target=move.target, reason=move.reason)
        elif record.trigger in ("leave_without_consideration", "withdraw"):
            await self.notify("applicant", "closure_notice", key, reason=move.reason, closure=self.closure_reason)
        elif record.trigger == "approve":
            await self.notify(
                "applicant",
                "answer_letter",
                key,
                answer_text=self.answer_text,
                answer_character=self.case.answer_character,
            )
        elif record.trigger == "extend_deadline":
            await self.notify("applicant", "extension_notice", key, reason=move.reason)
        elif record.trigger == "route" and self.appeal_().reception:
            await self.notify(
                "executor", "instruction_sheet", key, reception=self.appeal_().reception, text=self.appeal_().text
            )
        elif record.trigger in ("route", "reassign", "return_for_finalization"):
            await self.notify("executor", "assignment", key, reason=move.reason, trigger=record.trigger)

    # ---- what a due timer point does ----
    async def on_timer(self, point: TimerPoint) -> None:
        if point.kind == "hearing_end":
            self.case.hearing_elapsed = True
            self.note("hearing_end", "hearing period ended without the applicant's reply")
            return
        if self.machine.state not in TIMER_STATES:
            return
        key = f"{point.kind}-{point.legal_at}"
        if point.kind == "reminder":
            self.note("reminder", f"{point.working_days} working day(s) before the term {self.case.deadline}")
            await self.notify("executor", "reminder", key, days_left=str(point.working_days))
        elif point.kind == "escalation":
            self.overdue = True
            self.note("escalation", f"term {self.case.deadline} missed; overdue notice to the head")
            await self.notify("head", "overdue_notice", key)
            await self.record(self.system_record("escalate"), key)
            self.upsert_search_attributes()
            await self.tell_reception()
        elif point.kind == "disciplinary":
            executor = self.case.executor or "appeals-dept"
            self.note("disciplinary_proposal", f"drafted for {executor}: {point.working_days} working day(s) overdue")
            await self.call(
                DRAFT_DISCIPLINARY_PROPOSAL,
                ProposalRequest(
                    workflow.info().workflow_id,
                    f"{workflow.info().workflow_id}:{key}",
                    executor,
                    self.case.deadline,
                    point.working_days,
                    self.rules_().staff_language,
                    {"category": self.appeal_().category},
                ),
                None,
            )

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
        a = self.appeal_()
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
            state=self.machine.state,
            executor=self.case.executor,
            deadline=self.case.deadline,
            overdue=self.overdue,
            possible_repeat_of=list(self.possible_repeat_of),
            closure_reason=self.closure_reason,
            answer_character=self.case.answer_character,
            parent=a.reception,
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        a = self.appeal_()
        return [
            sa.CASE_CATEGORY.value_set(a.category),
            sa.CASE_DISTRICT.value_set(a.district),
            sa.CASE_OVERDUE.value_set(self.overdue),
            sa.CASE_POSSIBLE_REPEAT.value_set(bool(self.possible_repeat_of)),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, self.case.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, self.due_at),
        ]

    def case_kind(self) -> str:
        return "reception_instruction" if self.appeal_().reception else "appeal"

    def appeal_(self) -> AppealInput:
        assert self.appeal is not None
        return self.appeal
