"""The instruction's case: every fact the instruction workflow keeps (carried whole to a new run),
and the conditions its table names, each with the reason it blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from models.case_status import ExecutorTrack, ProposalState
from models.instruction import AssignDetails, FindingsDetails, IssuerDecision
from models.moves import MoveRequest
from models.policy_snapshot import InstructionRules
from workflows.case_machine import CaseModel, case_only
from workflows.proposals import ProposalCase


@dataclass
class ExtensionRequest:
    """An executor's written request to the issuer for a later term, awaiting the decision."""

    by: str
    new_deadline: str
    reason: str


@dataclass
class VerificationPlan:
    """An on-site check (seed 9.5)."""

    date: str
    place: str


@dataclass(eq=False)
class InstructionCase(ProposalCase, CaseModel):
    state: str = "registered"
    executors: list[str] = field(default_factory=list)  # the first named coordinates (the lead)
    executor: str = ""
    term: str = ""  # the current period's term (ISO date)
    due_at: str = ""
    overdue: bool = False
    period: int = 1
    tracks: dict[str, ExecutorTrack] = field(default_factory=dict)
    extension: ExtensionRequest | None = None
    proposals: list[ProposalState] = field(default_factory=list)
    verification: VerificationPlan | None = None
    consolidated: str = ""
    conclusion: str = ""
    rules: InstructionRules | None = None
    new_run_wanted: bool = False  # periodic control hands over to a new run every few periods
    issuer: str = ""  # who gave the instruction: the only one who decides on its terms
    issuer_office_unit: str = ""  # the directory unit that decides for the issuer (policy; "": none)
    term_days: list[str] = field(default_factory=list)  # working days from the last planning through the term

    def is_assigned(self, actor_id: str) -> bool:
        return actor_id in self.executors

    def loaded_rules(self) -> InstructionRules:
        """The kind's policy snapshot, taken at registration (carried across runs)."""
        assert self.rules is not None, "policies are loaded at the start of run"
        return self.rules

    # --- conditions (pure: they read the case, the move and the time) ---
    def decider_speaks_for_issuer(self, move: MoveRequest, now: datetime) -> bool:
        """Table v3 (issue 21): a user in the role `issuer` decides only for the issuing body their
        unit belongs to (the akim's office for the akim's instructions); the controller records
        any issuer's decision from its document."""
        if move.actor.role != "issuer":
            return True
        return bool(self.issuer_office_unit) and move.actor.unit == self.issuer_office_unit

    def explain_decider_speaks_for_issuer(self, move: MoveRequest, now: datetime) -> str:
        office = self.issuer_office_unit or "none in this directory: the controller records its decision"
        return (
            f"only the issuer ({self.issuer}) decides on its instruction's term: its office is {office},"
            f" and {move.actor.id} belongs to {move.actor.unit or 'no unit'}"
        )

    def document_dated_by_now(self, move: MoveRequest, now: datetime) -> bool:
        when = getattr(move.details, "document_date", "")
        try:
            return bool(when) and date.fromisoformat(when) <= now.date() + timedelta(days=1)
        except ValueError:
            return False

    def explain_document_dated_by_now(self, move: MoveRequest, now: datetime) -> str:
        return "details.document_date: the date of the issuer's document (YYYY-MM-DD), not in the future"

    @case_only
    def term_still_running(self, move: MoveRequest, now: datetime) -> bool:
        """An extension is requested before the term ends (issue 21; Decree No. 976)."""
        return not self.due_at or now < datetime.fromisoformat(self.due_at)

    def explain_term_still_running(self, move: MoveRequest, now: datetime) -> str:
        return f"the term {self.term} has ended: an extension is requested before the term ends, not after it"

    def decided_by_issuer(self, move: MoveRequest, now: datetime) -> bool:
        return isinstance(move.details, IssuerDecision) and move.details.decided_by == self.issuer

    def explain_decided_by_issuer(self, move: MoveRequest, now: datetime) -> str:
        return f"details.decided_by: only the issuer ({self.issuer}) decides on the term of its instruction"

    def executors_given(self, move: MoveRequest, now: datetime) -> bool:
        return isinstance(move.details, AssignDetails) and bool(move.details.executors)

    def explain_executors_given(self, move: MoveRequest, now: datetime) -> str:
        return "details.executors must list at least one executor (the first named coordinates)"

    def actor_is_lead(self, move: MoveRequest, now: datetime) -> bool:
        return bool(self.executors) and move.actor.id == self.executors[0]

    def explain_actor_is_lead(self, move: MoveRequest, now: datetime) -> str:
        lead = self.executors[0] if self.executors else "nobody"
        return f"only the first-named executor ({lead}) submits the consolidated report"

    def actor_speaks_for_lead(self, move: MoveRequest, now: datetime) -> bool:
        """Table v4: the lead executor's unit submits, whoever of its staff logged in (a user acts
        for their unit, as `report` has since issue 21)."""
        return bool(self.executors) and self.executors[0] in (move.actor.id, move.actor.unit)

    def explain_actor_speaks_for_lead(self, move: MoveRequest, now: datetime) -> str:
        return self.explain_actor_is_lead(move, now)

    @case_only
    def extension_pending(self, move: MoveRequest, now: datetime) -> bool:
        return self.extension is not None

    def explain_extension_pending(self, move: MoveRequest, now: datetime) -> str:
        if self.extension:
            return f"an extension request by {self.extension.by} is already waiting for the issuer"
        return "no extension request is waiting for a decision"

    def deadline_is_later(self, move: MoveRequest, now: datetime) -> bool:
        if not move.new_deadline or not self.term:
            return False
        return date.fromisoformat(move.new_deadline) > date.fromisoformat(self.term)

    def explain_deadline_is_later(self, move: MoveRequest, now: datetime) -> str:
        return f"the requested term must be later than the current term {self.term}"

    def findings_poor(self, move: MoveRequest, now: datetime) -> bool:
        return isinstance(move.details, FindingsDetails) and move.details.verdict == "poor"

    def explain_findings_poor(self, move: MoveRequest, now: datetime) -> str:
        return "details.verdict is 'poor'" if self.findings_poor(move, now) else "details.verdict is not 'poor'"
