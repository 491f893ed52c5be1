"""The instruction's case object: what its table's conditions read, and why each can block."""

from __future__ import annotations

from datetime import date

from models.control import ProposalState
from workflows.case_machine import CaseModel


class InstructionCase(CaseModel):
    def __init__(self) -> None:
        self.executors: list[str] = []  # the first named coordinates (the lead)
        self.executor = ""
        self.term = ""
        self.extension: dict[str, str] = {}
        self.proposals: list[ProposalState] = []

    def is_assigned(self, actor_id: str) -> bool:
        return actor_id in self.executors

    def executors_given(self) -> bool:
        names = self.pending.details.get("executors") if self.pending else None
        return isinstance(names, list) and bool(names) and all(isinstance(n, str) and n for n in names)

    def explain_executors_given(self) -> str:
        return "details.executors must list at least one executor (the first named coordinates)"

    def actor_is_lead(self) -> bool:
        return self.pending is not None and bool(self.executors) and self.pending.actor.id == self.executors[0]

    def explain_actor_is_lead(self) -> str:
        lead = self.executors[0] if self.executors else "nobody"
        return f"only the first-named executor ({lead}) submits the consolidated report"

    def extension_pending(self) -> bool:
        return bool(self.extension)

    def explain_extension_pending(self) -> str:
        if self.extension:
            return f"an extension request by {self.extension.get('by')} is already waiting for the issuer"
        return "no extension request is waiting for a decision"

    def deadline_is_later(self) -> bool:
        if self.pending is None or not self.pending.new_deadline or not self.term:
            return False
        return date.fromisoformat(self.pending.new_deadline) > date.fromisoformat(self.term)

    def explain_deadline_is_later(self) -> str:
        return f"the requested term must be later than the current term {self.term}"

    def findings_poor(self) -> bool:
        return self.pending is not None and self.pending.details.get("verdict") == "poor"

    def explain_findings_poor(self) -> str:
        return "details.verdict is 'poor'" if self.findings_poor() else "details.verdict is not 'poor'"

    def proposal_awaiting(self) -> bool:
        key = self.pending.target if self.pending else ""
        return any(p.key == key and p.status == "awaiting_approval" for p in self.proposals)

    def explain_proposal_awaiting(self) -> str:
        waiting = [p.key for p in self.proposals if p.status == "awaiting_approval"]
        return f"no disciplinary proposal awaits approval under that key (waiting: {', '.join(waiting) or 'none'})"
