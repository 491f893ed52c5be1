"""ReceptionWorkflow: a personal reception from preliminary registration to closure (seed 6.1-6.6).

Workflow id = reception number. Every instruction given at the reception is a child
AppealWorkflow (controlled like an appeal: own executor, term, reminders, escalation,
disciplinary proposal); the reception follows its instructions' states.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

from models.appeal import AppealInput
from models.control import (
    BOOK_SLOT,
    CHECK_INSTRUCTIONS,
    REGISTER_CASE,
    RELEASE_SLOT,
    CaseCard,
    CaseStatus,
    InstructionCheck,
    InstructionUpdate,
    PolicyRequest,
    ReceptionRules,
    RegisterResult,
    Slot,
    SlotRequest,
    TimerPoint,
)
from models.errors import InputError
from models.moves import Actor, MoveRequest
from models.reception import ReceptionInput, parse_instructions, parse_reception
from runtime import search_attributes as sa
from runtime.failures import invalid
from workflows.case_machine import CaseMachine
from workflows.controlled import ControlledWorkflow
from workflows.reception_case import ReceptionCase
from workflows.reception_table import IN_WORK, RECEPTION_TABLE

SYSTEM = Actor(id="reception-control", role="system")


def parse_instruction_update(raw: Any) -> InstructionUpdate:
    if isinstance(raw, InstructionUpdate):
        return raw
    if not isinstance(raw, dict):
        raise InputError("payload", "an instruction update is an object")
    try:
        return InstructionUpdate(**{k: raw[k] for k in InstructionUpdate.__dataclass_fields__})
    except (KeyError, TypeError) as err:
        raise InputError("payload", f"not an instruction update: {err}") from None


@workflow.defn(name="ReceptionWorkflow")
class ReceptionWorkflow(ControlledWorkflow):
    TABLE = RECEPTION_TABLE

    @workflow.init
    def __init__(self, reception: Any) -> None:
        self.case = ReceptionCase()
        self.setup_control(CaseMachine(self.TABLE, self.case))
        self.reception_rules: ReceptionRules | None = None
        self.slot: Slot | None = None
        self.participants: list[str] = []
        self.outcome = ""
        self.input_error = ""
        self.reception: ReceptionInput | None = None
        try:
            self.reception = parse_reception(reception)
            if self.reception.reg_number != workflow.info().workflow_id:
                raise InputError("reg_number", "must equal the workflow id")
        except InputError as err:
            self.input_error = str(err)

    @workflow.run
    async def run(self, reception: Any) -> CaseStatus:
        if self.input_error or self.reception is None:
            raise invalid(f"invalid reception: {self.input_error}")
        r = self.reception
        snapshot = await self.load_policies(
            PolicyRequest("reception", "", r.category, r.district, r.requested_official)
        )
        self.reception_rules = snapshot.reception
        await self.call(REGISTER_CASE, self.card(), RegisterResult)
        self.upsert_search_attributes()
        await self.control_loop()
        return self.status()

    @workflow.signal(name="instruction_update", description="internal: an instruction of this reception reports")
    def instruction_update(self, payload: Any = None) -> None:
        try:
            update = parse_instruction_update(payload)
        except InputError as err:
            self.record_refusal("instruction_update", "", "", str(err))
            return
        if update.reg_number not in self.case.instructions:
            self.record_refusal("instruction_update", update.reg_number, "", "not an instruction of this reception")
            return
        self.case.instructions[update.reg_number] = update
        self.wake = True

    @workflow.query(name="status", description="State, slot, official, instructions and full history")
    def status(self) -> CaseStatus:
        return self.case_status(
            deadline=self.slot.local if self.slot else "",
            due_at=self.slot.start if self.slot else "",
            overdue=self.case.any_overdue(),
            slot=self.slot,
            instructions=list(self.case.instructions.values()),
        )

    # ---- what an allowed move does ----
    async def perform(self, move: MoveRequest) -> str | None:
        trig = move.trigger
        if trig in ("schedule", "reschedule"):
            return await self.book(move)
        if trig == "hold":
            return await self.held(move)
        record = self.make_move(move)
        if record.to_state == "closed":
            if self.slot and trig in ("cancel", "refuse"):
                await self.call(RELEASE_SLOT, SlotRequest(self.number(), self.slot.slot_id, self.now()), None)
        await self.record(record)
        self.upsert_search_attributes()
        key = f"move-{record.seq}"
        if trig == "complete":
            done = "; ".join(f"{n}: {i.executor}" for n, i in sorted(self.case.instructions.items()))
            await self.notify_citizen("reception_answer", key, outcome=self.outcome, instructions=done)
        elif trig in ("cancel", "refuse", "no_show"):
            await self.notify_citizen("reception_cancelled", key, reason=move.reason, closure=self.closure_reason)
        return None

    async def book(self, move: MoveRequest) -> str | None:
        if not move.target.isdigit():
            return f"target: {move.target!r} is not a slot number"
        participants = move.details.get("participants", [])
        if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
            return "details.participants: must be a list of names"
        try:
            slot: Slot = await self.call(BOOK_SLOT, SlotRequest(self.number(), int(move.target), self.now()), Slot)
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                return cause.message
            raise
        previous = self.slot
        record = self.make_move(move, {"slot": str(slot.slot_id), "official": slot.official, "start": slot.start})
        if previous is not None:
            await self.call(RELEASE_SLOT, SlotRequest(self.number(), previous.slot_id, self.now()), None)
        if isinstance(move.details.get("link"), str):
            slot.link = move.details["link"]
        self.slot = slot
        self.participants = participants
        self.case.slot_id, self.case.slot_start, self.case.executor = slot.slot_id, slot.start, slot.official
        self.plan_slot_timers()
        await self.record(record)
        self.upsert_search_attributes()
        await self.notify_citizen("booking_confirmation", f"move-{record.seq}")
        return None

    async def held(self, move: MoveRequest) -> str | None:
        try:
            specs = parse_instructions(move.details.get("instructions"))
        except InputError as err:
            return str(err)
        rules = self.reception_rules
        assert rules is not None
        if specs:
            problem: str = await self.call(
                CHECK_INSTRUCTIONS, InstructionCheck(specs, rules.instruction_max_working_days), str
            )
            if problem:
                return problem
        record = self.make_move(move, {"instructions": str(len(specs))})
        self.outcome = move.answer_text
        self.points = []  # the slot's reminders and no-show timer are over
        self.case.instructions_given = len(specs)
        r = self.reception_()
        for i, spec in enumerate(specs, start=1):
            number = f"{r.reg_number}-{i}"
            self.case.instructions[number] = InstructionUpdate(number, spec.executor, "registered", False, "", "")
        await self.record(record)
        self.upsert_search_attributes()
        for i, spec in enumerate(specs, start=1):
            child = AppealInput(
                reg_number=f"{r.reg_number}-{i}",
                type="application",
                channel="personal_reception",
                language=r.language,
                applicant=r.citizen,
                contacts=r.contacts,
                addressee=self.case.executor,
                category=r.category,
                district=r.district,
                text=spec.text,
                received_at=workflow.now().isoformat(),
                executor=spec.executor,
                term_working_days=spec.term_working_days,
                reception=r.reg_number,
            )
            await workflow.start_child_workflow(
                "AppealWorkflow",
                child,
                id=child.reg_number,
                task_queue=workflow.info().task_queue,
                parent_close_policy=ParentClosePolicy.ABANDON,  # an instruction stays controlled whatever happens here
            )
        if not specs:
            await self.system_move("complete", SYSTEM)
        return None

    async def reconcile(self) -> None:
        """The reception follows its instructions: returned, resumed, all done."""
        if self.machine.state == "under_consideration" and self.case.an_instruction_returned():
            await self.system_move("instruction_returned", SYSTEM)
        elif self.machine.state == "returned_for_finalization" and not self.case.an_instruction_returned():
            await self.system_move("instructions_resumed", SYSTEM)
        if self.machine.state in IN_WORK and self.case.all_instructions_done():
            await self.system_move("complete", SYSTEM)

    # ---- timers: reminders before the slot, no-show after it ----
    def plan_slot_timers(self) -> None:
        assert self.slot is not None and self.reception_rules is not None
        start, end = datetime.fromisoformat(self.slot.start), datetime.fromisoformat(self.slot.end)
        points = []
        for hours in self.reception_rules.reminder_hours_before:
            at = start - timedelta(hours=hours)
            if at > workflow.now():
                points.append(TimerPoint("reception_reminder", at.isoformat(), at.isoformat(), hours))
        no_show_at = end + timedelta(minutes=self.reception_rules.no_show_grace_minutes)
        points.append(TimerPoint("no_show", no_show_at.isoformat(), no_show_at.isoformat(), 0))
        self.points = points

    async def on_timer(self, point: TimerPoint) -> None:
        if self.machine.state != "routed":
            return
        if point.kind == "reception_reminder":
            self.note("reminder", f"{point.working_days} hour(s) before the reception")
            key = f"reminder-{point.legal_at}"
            await self.notify_citizen("reception_reminder", key, hours=str(point.working_days))
            await self.send(
                self.case.executor,
                "reception_reminder",
                self.rules_().staff_language,
                f"{key}-official",
                self.context(hours=str(point.working_days)),
            )
        elif point.kind == "no_show":
            self.note("no_show", "the citizen did not come within the grace period")
            await self.system_move("no_show", SYSTEM, reason="не явился в назначенное время")

    # ---- helpers ----
    async def notify_citizen(self, template: str, key: str, **extra: str) -> None:
        r = self.reception_()
        await self.send(r.contacts.email or r.contacts.phone, template, r.language, key, self.context(**extra))

    def context(self, **extra: str) -> dict[str, str]:
        r = self.reception_()
        slot = self.slot
        base = {
            "reg_number": r.reg_number,
            "applicant_name": r.citizen.name,
            "official_id": self.case.executor or r.requested_official,
            "slot": slot.local if slot else "",
            "format": slot.format if slot else r.format,
            "place": slot.place if slot else "",
            "link": slot.link if slot else "",
            "issue": r.issue[:300],
            "participants": ", ".join(self.participants),
        }
        base.update(extra)
        return base

    def number(self) -> str:
        return workflow.info().workflow_id

    def now(self) -> str:
        return workflow.now().isoformat()

    def card(self) -> CaseCard:
        r = self.reception_()
        return CaseCard(
            reg_number=r.reg_number,
            kind="reception",
            appeal_type="reception",
            channel=r.format,
            language=r.language,
            category=r.category,
            district=r.district,
            applicant_kind=r.citizen.kind,
            applicant_identity=r.citizen.identity(),
            applicant_name=r.citizen.name,
            applicants_count=r.citizen.applicants_count,
            addressee=r.requested_official,
            received_at=r.received_at,
            state=self.machine.state,
            executor=self.case.executor,
            deadline=self.slot.local if self.slot else "",
            overdue=self.case.any_overdue(),
            closure_reason=self.closure_reason,
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        r = self.reception_()
        return [
            sa.CASE_CATEGORY.value_set(r.category),
            sa.CASE_DISTRICT.value_set(self.slot.district or r.district if self.slot else r.district),
            sa.CASE_OFFICIAL.value_set(self.case.executor or r.requested_official),
            sa.CASE_OVERDUE.value_set(self.case.any_overdue()),
            sa.moment_or_unset(sa.CASE_DATE, self.slot.start if self.slot else ""),
        ]

    def reception_(self) -> ReceptionInput:
        assert self.reception is not None
        return self.reception
