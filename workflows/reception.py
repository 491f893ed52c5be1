"""ReceptionWorkflow: a personal reception from preliminary registration to closure (seed 6.1-6.6).

Workflow id = reception number. Every instruction given at the reception is a child
AppealWorkflow (controlled like an appeal: own executor, term, reminders, escalation,
disciplinary proposal); the reception follows its instructions' real states, which it reads from
the instructions themselves whenever one of them says it changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

from models.activity_names import BOOK_SLOT, CHECK_INSTRUCTIONS, READ_INSTRUCTION, RELEASE_SLOT
from models.appeal import AppealInput
from models.case_status import CaseStatus, InstructionStanding, ReceptionFacts
from models.deadlines import TimerPoint
from models.moves import Actor, MoveRecord, MoveRequest
from models.policy_snapshot import ReceptionPolicyRequest
from models.reception import HoldDetails, ReceptionInput, SlotBooking, SlotChoice, SlotDetails, parse_reception
from models.registry_writes import CaseCard, ReceptionDetail
from models.slots import InstructionCheck, Slot, SlotRequest
from runtime import search_attributes as sa
from runtime.failures import Reason
from workflows.appeal_base import INSTRUCTION_NEWS
from workflows.case_card import state_name
from workflows.controlled import ControlledWorkflow
from workflows.reception_case import ReceptionCase
from workflows.reception_table import IN_WORK, RECEPTION_TABLES

SYSTEM = Actor(id="reception-control", role="system")


@workflow.defn(name="ReceptionWorkflow")
class ReceptionWorkflow(ControlledWorkflow[ReceptionInput, ReceptionCase]):
    TABLES = RECEPTION_TABLES
    CASE = ReceptionCase
    parse_input = staticmethod(parse_reception)

    @staticmethod
    def policy_request(parsed: ReceptionInput) -> ReceptionPolicyRequest:
        return ReceptionPolicyRequest(parsed.category, parsed.district, parsed.requested_official)

    INTERNAL_SIGNALS = {INSTRUCTION_NEWS: "instruction_news"}

    news: set[str]  # instructions that said they changed: read them again

    def start_case(self, raw: Any) -> None:
        self.news = set()
        super().start_case(raw)

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        self.check_input()
        if self.trail.runs == 1:
            r = self.input
            snapshot = await self.load_policies(self.policy_request(r))
            self.case.rules = snapshot.reception
            await self.register_card(self.registered_by)
            self.upsert_search_attributes()
        else:
            self.news.update(self.case.instructions)  # news may have come while the last run handed over
            self.wake = bool(self.news)
        return await self.run_controlled()

    def instruction_news(self, values: list[Any]) -> None:
        """An instruction says it changed. Its word is not taken: the reception reads its state."""
        number = values[0] if len(values) == 1 and isinstance(values[0], str) else ""
        if number not in self.case.instructions:
            self.record_refusal(INSTRUCTION_NEWS, "", "", "not an instruction of this reception")
            return
        self.news.add(number)
        self.wake = True

    def facts(self) -> ReceptionFacts:
        return ReceptionFacts(slot=self.case.slot, instructions=list(self.case.instructions.values()))

    def is_overdue(self) -> bool:
        return self.case.any_overdue()

    def status_term(self) -> tuple[str, str]:
        """A reception's term is its slot (its card shows the slot instead of a countdown)."""
        slot = self.case.slot
        return (slot.local, slot.start) if slot else ("", "")

    # ---- one handler per trigger: what an allowed move does ----
    async def on_schedule(self, move: MoveRequest) -> str | None:
        return await self.book(move)

    async def on_reschedule(self, move: MoveRequest) -> str | None:
        return await self.book(move)

    async def book(self, move: MoveRequest) -> str | None:
        earliest = self.table.has("earliest_free_slot") and move.target in ("", "0")
        if not earliest and (not move.target.isdigit() or move.target == "0"):
            return Reason(f"target: {move.target!r} is not a slot number", "no_slot", slot=move.target)
        details: SlotDetails | SlotBooking | SlotChoice = move.details  # v1 | v2 | v3
        held = self.case.slot
        official = held.official if held else self.input.requested_official
        request = SlotRequest(self.number(), 0, self.now(), official, held.slot_id if held else 0)
        if not earliest:
            request = SlotRequest(self.number(), int(move.target), self.now())
        try:
            slot: Slot = await self.call(BOOK_SLOT, request)
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                detail = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
                return Reason(cause.message, str(detail.get("code", "other")), **dict(detail.get("params") or {}))
            raise
        previous = self.case.slot
        record = self.make_move(move, {"slot": str(slot.slot_id), "official": slot.official, "start": slot.start})
        if previous is not None:
            await self.call(RELEASE_SLOT, SlotRequest(self.number(), previous.slot_id, self.now()))
        if details.link:
            slot.link = details.link
        self.case.slot, self.case.participants, self.case.executor = slot, details.participants, slot.official
        self.plan_slot_timers()
        await self.done(record, "booking_confirmation")
        return None

    async def on_hold(self, move: MoveRequest) -> str | None:
        details: HoldDetails = move.details
        specs = details.instructions
        rules = self.case.loaded_rules()
        if specs:
            problem: str = await self.call(
                CHECK_INSTRUCTIONS, InstructionCheck(specs, rules.instruction_max_working_days)
            )
            if problem:
                return problem
        record = self.make_move(move, {"instructions": str(len(specs))})
        self.case.outcome = move.answer_text
        self.trail.points = []  # the slot's reminders and no-show timer are over
        self.case.instructions_given = len(specs)
        r = self.input
        for i, spec in enumerate(specs, start=1):
            number = f"{r.reg_number}-{i}"
            self.case.instructions[number] = InstructionStanding(number, spec.executor, "registered", False, "", "")
        await self.done(record)
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

    async def on_complete(self, move: MoveRequest) -> str | None:
        record = self.make_move(move)
        done = "; ".join(f"{n}: {i.executor}" for n, i in sorted(self.case.instructions.items()))
        await self.done(record, "reception_answer", outcome=self.case.outcome, instructions=done)
        return None

    async def on_instruction_returned(self, move: MoveRequest) -> str | None:
        await self.done(self.make_move(move))
        return None

    async def on_instructions_resumed(self, move: MoveRequest) -> str | None:
        await self.done(self.make_move(move))
        return None

    async def on_close(self, move: MoveRequest) -> str | None:
        await self.done(self.make_move(move))
        return None

    async def on_no_show(self, move: MoveRequest) -> str | None:
        return await self.closed_before_held(move, release=False)

    async def on_cancel(self, move: MoveRequest) -> str | None:
        return await self.closed_before_held(move, release=True)

    async def on_refuse(self, move: MoveRequest) -> str | None:
        return await self.closed_before_held(move, release=True)

    async def closed_before_held(self, move: MoveRequest, *, release: bool) -> str | None:
        record = self.make_move(move)
        if release and self.case.slot:
            await self.call(RELEASE_SLOT, SlotRequest(self.number(), self.case.slot.slot_id, self.now()))
        await self.done(record, "reception_cancelled", reason=move.reason, closure=self.trail.closure_reason)
        return None

    async def done(self, record: MoveRecord, citizen_notice: str = "", **context: str) -> None:
        """What follows every move: the registry write, the search attributes, the citizen's notice."""
        await self.record(record)
        self.upsert_search_attributes()
        if citizen_notice:
            await self.notify_citizen(citizen_notice, f"move-{record.seq}", **context)

    async def reconcile(self) -> None:
        """Read the instructions that said they changed, then follow them: returned, resumed, all done."""
        read = False
        while self.news:
            number = min(self.news)
            self.news.discard(number)  # news that comes while it is read is read again
            standing: InstructionStanding = await self.call(READ_INSTRUCTION, number)
            self.case.instructions[number] = standing
            read = True
        if read:
            self.upsert_search_attributes()
        no_move = MoveRequest(trigger="", actor=SYSTEM)
        now = workflow.now()
        if self.case.state == "under_consideration" and self.case.an_instruction_returned(no_move, now):
            await self.system_move("instruction_returned", SYSTEM)
        elif self.case.state == "returned_for_finalization" and not self.case.an_instruction_returned(no_move, now):
            await self.system_move("instructions_resumed", SYSTEM)
        if self.case.state in IN_WORK and self.case.all_instructions_done(no_move, now):
            await self.system_move("complete", SYSTEM)

    # ---- timers: reminders before the slot, no-show after it ----
    def plan_slot_timers(self) -> None:
        slot, rules = self.case.slot, self.case.loaded_rules()
        assert slot is not None
        start, end = datetime.fromisoformat(slot.start), datetime.fromisoformat(slot.end)
        points = []
        for hours in rules.reminder_hours_before:
            at = start - timedelta(hours=hours)
            if at > workflow.now():
                points.append(TimerPoint("reception_reminder", at.isoformat(), at.isoformat(), hours_before=hours))
        no_show_at = end + timedelta(minutes=rules.no_show_grace_minutes)
        points.append(TimerPoint("no_show", no_show_at.isoformat(), no_show_at.isoformat()))
        self.trail.points = points

    # ---- what a due timer point does: `on_point_<kind>` (only while the reception is scheduled) ----
    async def on_point_reception_reminder(self, point: TimerPoint) -> None:
        if self.case.state == "routed":
            self.note("reminder", f"{point.hours_before} hour(s) before the reception")
            key = f"reminder-{point.legal_at}"
            hours = str(point.hours_before)
            await self.notify_citizen("reception_reminder", key, hours=hours)
            language = self.rules_().staff_language
            await self.send(
                self.case.executor, "reception_reminder", language, f"{key}-official", self.context(hours=hours)
            )

    async def on_point_no_show(self, point: TimerPoint) -> None:
        if self.case.state == "routed":
            self.note("no_show", "the citizen did not come within the grace period")
            await self.system_move("no_show", SYSTEM, reason="не явился в назначенное время")

    # ---- helpers ----
    async def notify_citizen(self, template: str, key: str, **extra: str) -> None:
        r = self.input
        await self.send(r.contacts.email or r.contacts.phone, template, r.language, key, self.context(**extra))

    def context(self, **extra: str) -> dict[str, str]:
        r, slot = self.input, self.case.slot
        base = {
            "reg_number": r.reg_number,
            "applicant_name": r.citizen.name,
            "official_id": self.case.executor or r.requested_official,
            "slot": slot.local if slot else "",
            "format": slot.format if slot else r.format,
            "place": slot.place if slot else "",
            "link": slot.link if slot else "",
            "issue": r.issue[:300],
            "participants": ", ".join(self.case.participants),
        }
        base.update(extra)
        return base

    def number(self) -> str:
        return workflow.info().workflow_id

    def now(self) -> str:
        return workflow.now().isoformat()

    def card(self) -> CaseCard:
        r, slot = self.input, self.case.slot
        return self.registry_card(
            appeal_type="",
            channel=r.format,
            language=r.language,
            category=r.category,
            district=r.district,
            **r.citizen.registry_fields(),
            addressee=r.requested_official,
            received_at=r.received_at,
            deadline=slot.local if slot else "",
            overdue=self.case.any_overdue(),
            detail=ReceptionDetail(
                r.requested_official, r.format, slot.start if slot else "", slot.place if slot else ""
            ),
        )

    # ---- the case card (Web UI) ----
    def card_lines(self) -> list[tuple[str, str]]:
        c, lines = self.case, []
        language = self.rules_().staff_language
        if c.slot is not None:
            where = [self.in_words(c.slot.format), c.slot.place, self.named(c.slot.district)]
            lines.append(("slot", f"{c.slot.local} · {', '.join(part for part in where if part)}"))
        if c.instructions:
            states = (f"{i.reg_number}: {state_name('appeal', i.state, language)}" for i in c.instructions.values())
            lines.append(("instructions", ", ".join(states)))
        return lines

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        r, slot = self.input, self.case.slot
        return [
            sa.CASE_CATEGORY.value_set(r.category),
            sa.CASE_DISTRICT.value_set(slot.district or r.district if slot else r.district),
            sa.CASE_OFFICIAL.value_set(self.case.executor or r.requested_official),
            sa.CASE_OVERDUE.value_set(self.case.any_overdue()),
            sa.moment_or_unset(sa.CASE_DATE, slot.start if slot else ""),
        ]
