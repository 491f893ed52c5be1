"""The reception's case object: what its table's conditions read, and why each can block."""

from __future__ import annotations

from datetime import datetime

from models.control import InstructionUpdate
from workflows.case_machine import CaseModel

DONE = "closed"


class ReceptionCase(CaseModel):
    def __init__(self) -> None:
        self.executor = ""  # the official who receives
        self.slot_id = 0
        self.slot_start = ""
        self.instructions: dict[str, InstructionUpdate] = {}
        self.instructions_given = 0

    def any_overdue(self) -> bool:
        return any(i.overdue for i in self.instructions.values())

    def target_is_new_slot(self) -> bool:
        return self.pending is not None and self.pending.target != str(self.slot_id)

    def explain_target_is_new_slot(self) -> str:
        return f"slot {self.slot_id} is already this reception's slot"

    def an_instruction_returned(self) -> bool:
        return any(i.state == "returned_for_finalization" for i in self.instructions.values())

    def explain_an_instruction_returned(self) -> str:
        returned = [n for n, i in self.instructions.items() if i.state == "returned_for_finalization"]
        return f"instructions returned for finalization: {', '.join(returned) or 'none'}"

    def all_instructions_done(self) -> bool:
        return len(self.instructions) == self.instructions_given and all(
            i.state == DONE for i in self.instructions.values()
        )

    def explain_all_instructions_done(self) -> str:
        open_ = [n for n, i in self.instructions.items() if i.state != DONE]
        return f"instructions not yet executed: {', '.join(open_)}"

    def slot_has_begun(self) -> bool:
        return bool(self.slot_start) and self.now is not None and self.now >= datetime.fromisoformat(self.slot_start)

    def explain_slot_has_begun(self) -> str:
        return f"the reception's slot begins at {self.slot_start}"
