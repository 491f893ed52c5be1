"""The appeal's case: every fact the appeal workflow keeps (carried whole to a new run), and the
conditions its table names, each with the reason it blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from temporalio import workflow

from models.case_status import ProposalState
from models.moves import MoveRequest
from workflows.case_machine import CaseModel, case_only
from workflows.proposals import ProposalCase

ADVERSE = ("refused", "partially_satisfied")  # APPC art. 73: these answers need the hearing

with workflow.unsafe.imports_passed_through():
    from policies.calendar import extension_limit


@dataclass(eq=False)
class AppealCase(ProposalCase, CaseModel):
    state: str = "registered"
    executor: str = ""
    deadline: str = ""  # the legal term (ISO date): from receipt, moved only by a formal extension
    due_at: str = ""  # the moment the legal term ends (UTC ISO)
    original_deadline: str = ""
    registered_on: str = ""  # the day the term counts from (ISO date)
    internal_deadline: str = ""  # an internal control term (finalization), never past the legal term
    internal_due_at: str = ""
    extension_counted_from: str = "original_term"  # v1 cases: two months after the original term
    forward_bodies: list[str] = field(default_factory=list)  # v1 cases: empty (free text)
    related_to: list[str] = field(default_factory=list)  # earlier open appeals of the same applicant
    earlier_answers: dict[str, str] = field(default_factory=dict)  # repeat: earlier number -> its answer
    forwarded_parts: list[str] = field(default_factory=list)  # bodies some questions were forwarded to
    answered_at: str = ""  # when the current answer was submitted (UTC ISO)
    answered_late: bool = False  # the approved answer came after the legal term as it stood
    hearing_late: bool = False  # the hearing cannot end inside the legal term (flagged to the head)
    extension_notice_working_days: int = 3
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
    under_control: bool = False  # taken under the akim's control (table v3): answers are rated
    term_days: list[str] = field(default_factory=list)  # working days from the last planning through the term
    known_executors: list[str] = field(default_factory=list)  # routing policy; empty for cases registered before
    executor_at_term: str = ""  # who held the appeal when its legal term ended (the proposal names them)
    proposal_approval_working_days: int = 0  # policy snapshot (0: proposals are only drafted, before v5)
    proposals: list[ProposalState] = field(default_factory=list)  # disciplinary proposals awaiting the head (v5)
    # Table v7 (issue 24): the approved answer's letter, watched until it reaches the applicant.
    approved_at: str = ""  # when the answer was approved and signed (UTC ISO)
    answer_letter: str = ""  # the letter's key in the outbox ("" = no letter: the applicant left no contacts)
    delivery_status: str = ""  # the letter's status as last read: queued | sent | delivered | failed
    delivery_channel: str = ""  # email | sms | paper
    delivery_error: str = ""  # why it failed (a failed letter flags the case for the controller)
    delivered_at: str = ""  # when it counts as delivered (UTC ISO; policies/delivery.yaml delivered_when)
    delivery_checks: int = 0  # looks taken without news (the next look waits twice as long)
    extension_notice: str = ""  # the latest extension notice's key: its delivery is checked in its term
    failed_letters: list[str] = field(default_factory=list)  # other letters to the applicant that failed

    # --- conditions (pure: they read the case, the move and the time) ---
    @case_only
    def not_yet_approved(self, move: MoveRequest, now: datetime) -> bool:
        return not self.approved_at

    def explain_not_yet_approved(self, move: MoveRequest, now: datetime) -> str:
        return (
            f"the answer was approved and signed ({self.approved_at[:16]} UTC): its letter is on its way, and the "
            "appeal closes when the delivery is recorded"
        )

    @case_only
    def answer_delivered(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.approved_at and self.delivered_at)

    def explain_answer_delivered(self, move: MoveRequest, now: datetime) -> str:
        return "the approved answer's delivery is not recorded yet"

    @case_only
    def not_under_control(self, move: MoveRequest, now: datetime) -> bool:
        return not self.under_control

    def explain_not_under_control(self, move: MoveRequest, now: datetime) -> str:
        return "the appeal is already under the akim's control"

    def quality_review_given(self, move: MoveRequest, now: datetime) -> bool:
        rating = getattr(move.details, "rating", 0)
        return not self.under_control or (1 <= rating <= 5 and bool(getattr(move.details, "remark", "")))

    def explain_quality_review_given(self, move: MoveRequest, now: datetime) -> str:
        return "details.rating (1-5) and details.remark: required for an appeal under the akim's control (seed 5.4)"

    @case_only
    def is_possible_repeat(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.possible_repeat_of)

    def explain_is_possible_repeat(self, move: MoveRequest, now: datetime) -> str:
        return "no earlier answered appeal of this applicant on this category: route it as usual"

    @case_only
    def waits_for_repeat_decision(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.possible_repeat_of)

    def explain_waits_for_repeat_decision(self, move: MoveRequest, now: datetime) -> str:
        earlier = ", ".join(self.possible_repeat_of)
        return (
            f"a possible repeat of {earlier} waits for the controller: consider_as_new or "
            "terminate_consideration (ground repeated_without_new_arguments)"
        )

    def target_is_known_body(self, move: MoveRequest, now: datetime) -> bool:
        return not self.forward_bodies or move.target in self.forward_bodies

    def explain_target_is_known_body(self, move: MoveRequest, now: datetime) -> str:
        return f"target: {move.target!r} is not a body of the catalogue; known: {', '.join(self.forward_bodies)}"

    def target_is_known_executor(self, move: MoveRequest, now: datetime) -> bool:
        return not self.known_executors or move.target in self.known_executors

    def explain_target_is_known_executor(self, move: MoveRequest, now: datetime) -> str:
        return f"target: {move.target[:100]!r} is not an executor of the routing policy; known: " + ", ".join(
            self.known_executors
        )

    def target_is_new_executor(self, move: MoveRequest, now: datetime) -> bool:
        return move.target != self.executor

    def explain_target_is_new_executor(self, move: MoveRequest, now: datetime) -> str:
        return f"the appeal is already assigned to {self.executor!r}"

    @case_only
    def hearing_open(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.hearing_until) and not self.applicant_replied

    def explain_hearing_open(self, move: MoveRequest, now: datetime) -> str:
        if not self.hearing_until:
            return "no preliminary decision is waiting for the applicant's reply"
        return "the applicant's reply is already recorded"

    @case_only
    def hearing_satisfied(self, move: MoveRequest, now: datetime) -> bool:
        """APPC hearing: a refusal is approved only after the applicant replied or the period ran out."""
        if self.answer_character not in ADVERSE:
            return True
        # Time itself, not only the timer's handler, ends the hearing: an approval that arrives in the
        # same workflow task as the timer must not be refused.
        ended = bool(self.hearing_fires_at) and now >= datetime.fromisoformat(self.hearing_fires_at)
        return self.applicant_replied or self.hearing_elapsed or ended

    def explain_hearing_satisfied(self, move: MoveRequest, now: datetime) -> str:
        until = self.hearing_until or "the end of the hearing period"
        return f"an adverse answer cannot be approved before the hearing ends ({until}) or the applicant replies"

    @case_only
    def term_still_running(self, move: MoveRequest, now: datetime) -> bool:
        """An extension is decided before the term it extends ends (issue 21)."""
        return not self.due_at or now < datetime.fromisoformat(self.due_at)

    def explain_term_still_running(self, move: MoveRequest, now: datetime) -> str:
        return (
            f"the legal term ended on {self.deadline}: an extension is decided while the term runs, and a missed"
            " term stays missed (APPC art. 76; domain.md: a missed term counts as a refusal)"
        )

    def extension_within_limit(self, move: MoveRequest, now: datetime) -> bool:
        if not move.new_deadline or not self.deadline:
            return False
        new = date.fromisoformat(move.new_deadline)
        return date.fromisoformat(self.deadline) < new <= self.extension_limit_date()

    def explain_extension_within_limit(self, move: MoveRequest, now: datetime) -> str:
        if self.extension_counted_from == "receipt":
            counted = (
                f"the total term is at most {self.extension_max_months} months from receipt ({self.registered_on})"
            )
        else:
            counted = f"{self.extension_max_months} months after the original term {self.original_deadline}"
        return (
            f"new_deadline: must be after the current term ({self.deadline}) and no later than "
            f"{self.extension_limit_date().isoformat()} ({counted}; APPC, policies/appeals.yaml extension)"
        )

    def extension_limit_date(self) -> date:
        original = date.fromisoformat(self.original_deadline or self.deadline)
        registered = date.fromisoformat(self.registered_on) if self.registered_on else original
        counted_from = self.extension_counted_from if self.registered_on else "original_term"
        return extension_limit(registered, original, self.extension_max_months, counted_from)
