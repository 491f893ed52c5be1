"""The appeal's case object: the facts the table's conditions read, and why each can block."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from workflows.case_machine import CaseModel


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (pure arithmetic, safe in workflows)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class AppealCase(CaseModel):
    def __init__(self) -> None:
        self.executor = ""
        self.deadline = ""  # current due date (ISO)
        self.original_deadline = ""
        self.extension_max_months = 2
        self.answer_character = ""
        self.hearing_until = ""  # UTC ISO moment the hearing period ends ("" = no hearing)
        self.hearing_elapsed = False
        self.hearing_fires_at = ""  # when the hearing timer fires (the legal end, or earlier in demo timing)
        self.applicant_replied = False
        self.now: datetime | None = None

    # --- conditions (pure: they read the case and the pending move) ---
    def target_is_new_executor(self) -> bool:
        return self.pending is not None and self.pending.target != self.executor

    def explain_target_is_new_executor(self) -> str:
        return f"the appeal is already assigned to {self.executor!r}"

    def hearing_open(self) -> bool:
        return bool(self.hearing_until) and not self.applicant_replied

    def explain_hearing_open(self) -> str:
        if not self.hearing_until:
            return "no preliminary decision is waiting for the applicant's reply"
        return "the applicant's reply is already recorded"

    def hearing_satisfied(self) -> bool:
        """APPC hearing: a refusal is approved only after the applicant replied or the period ran out."""
        if self.answer_character != "refused":
            return True
        # Time itself, not only the timer's handler, ends the hearing: an approval that arrives in the
        # same workflow task as the timer must not be refused.
        ended = (
            bool(self.hearing_fires_at)
            and self.now is not None
            and self.now >= datetime.fromisoformat(self.hearing_fires_at)
        )
        return self.applicant_replied or self.hearing_elapsed or ended

    def explain_hearing_satisfied(self) -> str:
        until = self.hearing_until or "the end of the hearing period"
        return f"a refusal cannot be approved before the hearing ends ({until}) or the applicant replies"

    def extension_within_limit(self) -> bool:
        if self.pending is None or not self.pending.new_deadline or not self.deadline:
            return False
        new = date.fromisoformat(self.pending.new_deadline)
        return date.fromisoformat(self.deadline) < new <= self._extension_limit()

    def explain_extension_within_limit(self) -> str:
        return (
            f"new deadline must be after the current one ({self.deadline}) and no later than "
            f"{self._extension_limit().isoformat()} ({self.extension_max_months} months after the original term "
            f"{self.original_deadline}, APPC)"
        )

    def _extension_limit(self) -> date:
        return add_months(date.fromisoformat(self.original_deadline or self.deadline), self.extension_max_months)
