"""What a case shows operators (its `status` query) and the parts it is made of."""

from __future__ import annotations

from dataclasses import dataclass, field

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
class CaseStatus:
    reg_number: str
    kind: str
    state: str
    deadline: str
    due_at: str
    executor: str
    overdue: bool
    closure_reason: str
    history: list[MoveRecord]
    refusals: list[Refusal]
    timeline: list[TimelineEntry]
    possible_repeat_of: list[str] = field(default_factory=list)  # appeals
    answer_character: str = ""  # appeals
    hearing_until: str = ""  # appeals
    forward_by: str = ""  # appeals
    internal_deadline: str = ""  # appeals: the finalization term (never past the legal term)
    original_deadline: str = ""  # appeals: the legal term before any extension
    related_to: list[str] = field(default_factory=list)  # appeals: earlier open appeals of the applicant
    answered_late: bool = False  # appeals: approved after the legal term as it stood
    hearing_late: bool = False  # appeals: the hearing cannot end inside the legal term
    slot: Slot | None = None  # receptions
    instructions: list[InstructionStanding] = field(default_factory=list)  # receptions
    executors: list[ExecutorTrack] = field(default_factory=list)  # Presidential instructions
    proposals: list[ProposalState] = field(default_factory=list)  # Presidential instructions
    period: int = 0  # Presidential instructions: the current reporting period
    runs: int = 0  # how many workflow runs the trail spans (continue-as-new)
    refusals_dropped: int = 0  # refusals older than the kept ones (policies/limits.yaml)
    timeline_dropped: int = 0
    failed_effects: list[str] = field(default_factory=list)  # side effects waiting for an operator's retry
    outside_interventions: list[str] = field(default_factory=list)  # refused actions from outside the engine
    table_version: int = 1  # the version of the kind's table this case runs under
