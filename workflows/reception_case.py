"""The reception's case: every fact the reception workflow keeps (carried whole to a new run),
and the conditions its table names, each with the reason it blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.case_status import InstructionStanding
from models.moves import MoveRequest
from models.policy_snapshot import ReceptionRules
from models.slots import Slot
from workflows.case_machine import CaseModel, case_only

DONE = "closed"


@dataclass(eq=False)
class ReceptionCase(CaseModel):
    state: str = "registered"
    executor: str = ""  # the official who receives
    slot: Slot | None = None
    participants: list[str] = field(default_factory=list)
    outcome: str = ""
    instructions: dict[str, InstructionStanding] = field(default_factory=dict)
    instructions_given: int = 0
    rules: ReceptionRules | None = None

    def any_overdue(self) -> bool:
        return any(i.overdue for i in self.instructions.values())

    def slot_id(self) -> int:
        return self.slot.slot_id if self.slot else 0

    def loaded_rules(self) -> ReceptionRules:
        """The kind's policy snapshot, taken at registration (carried across runs)."""
        assert self.rules is not None, "policies are loaded at the start of run"
        return self.rules

    # --- conditions (pure: they read the case, the move and the time) ---
    def target_is_new_slot(self, move: MoveRequest, now: datetime) -> bool:
        return move.target != str(self.slot_id())

    def explain_target_is_new_slot(self, move: MoveRequest, now: datetime) -> str:
        return f"slot {self.slot_id()} is already this reception's slot"

    @case_only
    def an_instruction_returned(self, move: MoveRequest, now: datetime) -> bool:
        return any(i.state == "returned_for_finalization" for i in self.instructions.values())

    def explain_an_instruction_returned(self, move: MoveRequest, now: datetime) -> str:
        returned = [n for n, i in self.instructions.items() if i.state == "returned_for_finalization"]
        return f"instructions returned for finalization: {', '.join(returned) or 'none'}"

    @case_only
    def all_instructions_done(self, move: MoveRequest, now: datetime) -> bool:
        return len(self.instructions) == self.instructions_given and all(
            i.state == DONE for i in self.instructions.values()
        )

    def explain_all_instructions_done(self, move: MoveRequest, now: datetime) -> str:
        open_ = [n for n, i in self.instructions.items() if i.state != DONE]
        return f"instructions not yet executed: {', '.join(open_)}"

    @case_only
    def slot_has_begun(self, move: MoveRequest, now: datetime) -> bool:
        return self.slot is not None and now >= datetime.fromisoformat(self.slot.start)

    def explain_slot_has_begun(self, move: MoveRequest, now: datetime) -> str:
        return f"the reception's slot begins at {self.slot.start if self.slot else 'a time not yet booked'}"
