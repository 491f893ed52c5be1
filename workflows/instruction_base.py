"""What the parts of an instruction's workflow share: its terms as planned, the registry write and
notices that follow a move, its card and its search attributes (the handlers and the control at
each term are in workflows/instruction.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio.common import SearchAttributeUpdate

from models.instruction import (
    InstructionInput,
    IssuerDecision,
    IssuerDocument,
    parse_instruction,
)
from models.moves import Actor, MoveRecord, MoveRequest
from models.policy_snapshot import InstructionPolicyRequest
from models.registry_writes import CaseCard, InstructionDetail
from runtime import search_attributes as sa
from workflows.controlled import ControlledWorkflow
from workflows.instruction_case import ExtensionRequest, InstructionCase
from workflows.instruction_table import INSTRUCTION_TABLES
from workflows.proposals import naming_awaiting

SYSTEM = Actor(id="instruction-control", role="system")
HEAD = "head-of-department"
LATE_STATES = ("routed", "under_consideration", "returned_for_finalization")


class InstructionBase(ControlledWorkflow[InstructionInput, InstructionCase]):
    TABLES = INSTRUCTION_TABLES
    CASE = InstructionCase
    parse_input = staticmethod(parse_instruction)

    @staticmethod
    def policy_request(parsed: InstructionInput) -> InstructionPolicyRequest:
        return InstructionPolicyRequest(parsed.issuer, executors=list(parsed.executors))

    def decision_detail(self, move: MoveRequest, extension: ExtensionRequest) -> dict[str, str]:
        detail = {"requested": extension.new_deadline, "by": extension.by}
        if isinstance(move.details, IssuerDecision):  # table v2: the issuer's decision and its document
            detail.update(decided_by=move.details.decided_by, document_ref=move.details.document_ref)
        if isinstance(move.details, IssuerDocument):  # table v3: the issuer is the instruction's own
            detail.update(
                decided_by=self.case.issuer,
                recorded_by=move.actor.id,
                document_number=move.details.document_number,
                document_date=move.details.document_date,
            )
        return detail

    async def done(self, record: MoveRecord) -> None:
        """What follows every move: the registry write (the move is made for good) and the search attributes."""
        await self.record(record)
        self.upsert_search_attributes()

    async def plan_term(self, due: date) -> None:
        """The term of the current period (or an extended one), with reminders and the lateness check."""
        plan = await self.plan_from_now(due_date=due.isoformat())
        self.case.term, self.case.due_at = plan.due_date, plan.due_at
        self.case.term_days = list(plan.term_days)
        kept = [p for p in self.trail.points if p.kind == "proposal_term"]
        self.trail.points = kept + [p for p in plan.points if p.kind in ("reminder", "escalation")]

    async def finalization_term(self, new_deadline: str) -> None:
        if new_deadline:
            await self.plan_term(date.fromisoformat(new_deadline))
            return
        plan = await self.plan_from_now(term_working_days=self.case.loaded_rules().finalization_working_days)
        await self.plan_term(date.fromisoformat(plan.due_date))

    async def tell(self, recipient: str, subject: str, message: str, key: str = "") -> None:
        key = key or f"notice-{len(self.trail.timeline) + self.trail.timeline_dropped}-{len(self.trail.history)}"
        await self.send(
            recipient,
            "instruction_notice",
            self.rules_().staff_language,
            key,
            self.context(subject=subject, message=message, recipient_name=recipient),
        )

    def context(self, **extra: str) -> dict[str, str]:
        i = self.input
        base = {"reg_number": i.reg_number, "issuer_name": i.issuer, "text": i.text[:500], "term": self.case.term}
        base.update(extra)
        return base

    def card(self) -> CaseCard:
        i, c = self.input, self.case
        return self.registry_card(
            appeal_type="",
            channel="presidential_control",
            language=i.language,
            category="",
            district="",
            applicant_kind="issuer",
            applicant_identity="",
            applicant_name=i.issuer_official,
            applicants_count=1,
            addressee="",
            received_at=i.received_at,
            deadline=c.term,
            overdue=c.overdue,
            detail=InstructionDetail(i.issuer, i.control, i.issuer_official),
        )

    def card_term(self) -> tuple[str, str, list[str]]:
        return self.case.term, self.case.due_at, self.case.term_days

    def card_lines(self) -> list[tuple[str, str]]:
        c = self.case
        lines = [("period", str(c.period))]
        if c.tracks:
            lines.append(("executors", ", ".join(f"{self.named(t.executor)} ({t.reports})" for t in c.tracks.values())))
        waiting = [p.key for p in c.proposals if p.status == "awaiting_approval"]
        if waiting:
            lines.append(("proposals", ", ".join(waiting)))
        return lines

    def example_payload(self, trigger: str) -> dict[str, Any]:
        payload = naming_awaiting(super().example_payload(trigger), trigger, self.case)
        if (
            trigger in ("approve_extension", "refuse_extension")
            and self.case.issuer
            and not self.table.has("issuer_is_the_instructions_own")
        ):
            payload["details"]["decided_by"] = self.case.issuer
        return payload

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        i, c = self.input, self.case
        return [
            sa.CASE_ISSUER.value_set(i.issuer),
            sa.CASE_OVERDUE.value_set(c.overdue),
            sa.keyword_or_unset(sa.CASE_EXECUTOR, c.executor),
            sa.moment_or_unset(sa.CASE_DEADLINE, c.due_at),
        ]
