"""What a case shows operators (its `status` query) and the parts it is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from models.moves import MoveRecord, Refusal
from models.slots import Slot


@dataclass
class ExecutorTrack:
    """One co-executor of an instruction: reports and lateness."""

    executor: str
    reports: int = 0
    last_period_reported: int = 0
    late_terms: int = 0
    poor_findings: int = 0
    proposed: bool = False


@dataclass
class ProposalState:
    key: str
    executors: list[str]
    reason: str
    status: str  # awaiting_approval | sent | rejected
    decide_by: str


@dataclass
class InstructionStanding:
    """Where an instruction given at a reception (a child appeal workflow) stands, as its
    reception read it from the instruction itself (READ_INSTRUCTION), never from a message."""

    reg_number: str
    executor: str
    state: str
    overdue: bool
    closure_reason: str
    deadline: str


@dataclass
class TimelineEntry:
    """Something the workflow did by itself (reminder, escalation, proposal, hearing end)."""

    at: str
    kind: str
    detail: str


@dataclass
class AppealFacts:
    """What only an appeal's status shows (also an instruction given at a reception)."""

    facts_of: Literal["appeal"] = "appeal"  # tells the kinds' facts apart when a client decodes them
    possible_repeat_of: list[str] = field(default_factory=list)
    answer_character: str = ""
    hearing_until: str = ""
    forward_by: str = ""
    internal_deadline: str = ""  # the finalization term (never past the legal term)
    original_deadline: str = ""  # the legal term before any extension
    related_to: list[str] = field(default_factory=list)  # earlier open appeals of the applicant
    answered_late: bool = False  # approved (table v7: delivered) after the legal term as it stood
    hearing_late: bool = False  # the hearing cannot end inside the legal term
    proposals: list[ProposalState] = field(default_factory=list)  # disciplinary proposals (table v5)
    approved_at: str = ""  # table v7: the answer approved and signed (UTC ISO)
    answer_letter: str = ""  # its letter's key in the outbox (mark_posted, resend_notice name it)
    delivery: str = ""  # table v7: the answer letter's delivery: queued | sent | delivered | failed
    delivery_channel: str = ""
    delivered_at: str = ""  # when the answer counts as given (UTC ISO)
    delivery_error: str = ""


@dataclass
class ReceptionFacts:
    facts_of: Literal["reception"] = "reception"
    slot: Slot | None = None
    instructions: list[InstructionStanding] = field(default_factory=list)


@dataclass
class InstructionFacts:
    facts_of: Literal["instruction"] = "instruction"
    executors: list[ExecutorTrack] = field(default_factory=list)
    proposals: list[ProposalState] = field(default_factory=list)
    period: int = 0  # the current reporting period


KindFacts = AppealFacts | ReceptionFacts | InstructionFacts


@dataclass
class CaseStatus:
    """What every kind shows (state, term, executor, trail), and the kind's own `facts` (issue 22:
    one contract per kind instead of one status with every kind's fields)."""

    reg_number: str
    kind: str
    state: str
    deadline: str  # the term the case runs to: an appeal's legal term, an instruction's, a reception's day
    due_at: str
    executor: str
    overdue: bool
    closure_reason: str
    history: list[MoveRecord]
    refusals: list[Refusal]
    timeline: list[TimelineEntry]
    facts: KindFacts | None = None
    runs: int = 0  # how many workflow runs the trail spans (continue-as-new)
    refusals_dropped: int = 0  # refusals older than the kept ones (policies/limits.yaml)
    timeline_dropped: int = 0
    failed_effects: list[str] = field(default_factory=list)  # side effects waiting for an operator's retry
    outside_interventions: list[str] = field(default_factory=list)  # refused actions from outside the engine
    table_version: int = 1  # the version of the kind's table this case runs under

    @property
    def appeal(self) -> AppealFacts:
        """The appeal's facts (a status of another kind has none: a programming error)."""
        assert isinstance(self.facts, AppealFacts), f"{self.reg_number} is a {self.kind}, not an appeal"
        return self.facts

    @property
    def reception(self) -> ReceptionFacts:
        assert isinstance(self.facts, ReceptionFacts), f"{self.reg_number} is a {self.kind}, not a reception"
        return self.facts

    @property
    def instruction(self) -> InstructionFacts:
        assert isinstance(self.facts, InstructionFacts), f"{self.reg_number} is a {self.kind}, not an instruction"
        return self.facts
