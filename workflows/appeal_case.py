"""The appeal's case: every fact the appeal workflow keeps (carried whole to a new run), and the
conditions its table names, each with the reason it blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from temporalio import workflow

from models.moves import MoveRequest
from workflows.case_machine import CaseModel

with workflow.unsafe.imports_passed_through():
    from policies.calendar import add_months


@dataclass(eq=False)
class AppealCase(CaseModel):
    state: str = "registered"
    executor: str = ""
    deadline: str = ""  # current due date (ISO)
    due_at: str = ""  # the moment the term ends (UTC ISO)
    original_deadline: str = ""
    overdue: bool = False
    forward_by: str = ""  # end of the term to forward outside competence (UTC ISO)
    extension_max_months: int = 2
    possible_repeat_of: list[str] = field(default_factory=list)
    answer_text: str = ""
    answer_character: str = ""
    hearing_until: str = ""  # UTC ISO moment the hearing period ends ("" = no hearing)
    hearing_elapsed: bool = False
    hearing_fires_at: str = ""  # when the hearing timer fires (the legal end, or earlier in demo timing)
    applicant_replied: bool = False

    # --- conditions (pure: they read the case, the move and the time) ---
    def target_is_new_executor(self, move: MoveRequest, now: datetime) -> bool:
        return move.target != self.executor

    def explain_target_is_new_executor(self, move: MoveRequest, now: datetime) -> str:
        return f"the appeal is already assigned to {self.executor!r}"

    def hearing_open(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.hearing_until) and not self.applicant_replied

    def explain_hearing_open(self, move: MoveRequest, now: datetime) -> str:
        if not self.hearing_until:
            return "no preliminary decision is waiting for the applicant's reply"
        return "the applicant's reply is already recorded"

    def hearing_satisfied(self, move: MoveRequest, now: datetime) -> bool:
        """APPC hearing: a refusal is approved only after the applicant replied or the period ran out."""
        if self.answer_character != "refused":
            return True
        # Time itself, not only the timer's handler, ends the hearing: an approval that arrives in the
        # same workflow task as the timer must not be refused.
        ended = bool(self.hearing_fires_at) and now >= datetime.fromisoformat(self.hearing_fires_at)
        return self.applicant_replied or self.hearing_elapsed or ended

    def explain_hearing_satisfied(self, move: MoveRequest, now: datetime) -> str:
        until = self.hearing_until or "the end of the hearing period"
        return f"a refusal cannot be approved before the hearing ends ({until}) or the applicant replies"

    def extension_within_limit(self, move: MoveRequest, now: datetime) -> bool:
        if not move.new_deadline or not self.deadline:
            return False
        new = date.fromisoformat(move.new_deadline)
        return date.fromisoformat(self.deadline) < new <= self._extension_limit()

    def explain_extension_within_limit(self, move: MoveRequest, now: datetime) -> str:
        return (
            f"new deadline must be after the current one ({self.deadline}) and no later than "
            f"{self._extension_limit().isoformat()} ({self.extension_max_months} months after the original term "
            f"{self.original_deadline}, APPC)"
        )

    def _extension_limit(self) -> date:
        return add_months(date.fromisoformat(self.original_deadline or self.deadline), self.extension_max_months)
