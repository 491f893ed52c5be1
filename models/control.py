"""Payloads between workflows and activities: policy snapshots, deadline plans, registry writes.

Plain dataclasses only (never SQLModel tables), so they serialise into workflow histories.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.moves import MoveRecord, Refusal
from models.schema import rule

# Activity names: workflows call activities by name so that workflow code never imports
# the database or template machinery into the sandbox.
CHECK_POLICIES = "check_policies"
REGISTER_CASE = "register_case"
PLAN_DEADLINE = "plan_deadline"
PLAN_WORKING_TIME = "plan_working_time"
ROUTE_CASE = "route_case"
RECORD_EVENT = "record_event"
SEND_NOTIFICATION = "send_notification"
DRAFT_DISCIPLINARY_PROPOSAL = "draft_disciplinary_proposal"
BOOK_SLOT = "book_slot"
RELEASE_SLOT = "release_slot"
CHECK_INSTRUCTIONS = "check_instructions"
CHECK_EXECUTORS = "check_executors"
DRAFT_INSTRUCTION_PROPOSAL = "draft_instruction_proposal"
SET_PROPOSAL_STATUS = "set_proposal_status"
WRITE_CONCLUSION = "write_conclusion"
WRITE_HALF_YEAR_REPORT = "write_half_year_report"
READ_INSTRUCTION = "read_instruction"


@dataclass
class ControlRules:
    """Deadline-control values one case runs under, snapshotted from policy at registration."""

    forward_working_days: int
    hearing_working_days: int
    finalization_working_days: int
    extension_max_months: int
    reminder_working_days_before: list[int]
    reminder_hour: int
    disciplinary_grace_working_days: int
    staff_language: str
    seconds_per_working_day: float | None = None
    keep_refusals: int = 100  # policies/limits.yaml
    keep_timeline: int = 300
    new_run_after_events: int = 5000
    new_run_after_signals: int = 100


@dataclass
class PolicyRequest:
    kind: str
    appeal_type: str
    category: str
    district: str
    executor: str = ""  # an executor named by an official (reception instructions) must be known
    executors: list[str] = field(default_factory=list)  # instructions: every executor must be known


@dataclass
class ReceptionRules:
    reminder_hours_before: list[int]
    no_show_grace_minutes: int
    instruction_max_working_days: int


@dataclass
class PolicySnapshot:
    term_working_days: int
    rules: ControlRules
    grants: dict[str, list[str]]
    own_only: list[str]
    suggested_executor: str
    reception: ReceptionRules | None = None
    instruction: InstructionRules | None = None


@dataclass
class InstructionRules:
    late_terms_for_proposal: int
    proposal_approval_working_days: int
    finalization_working_days: int
    continue_as_new_every_periods: int


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
class CaseCard:
    """The registry card of a case: what records keeping needs, written by activities only."""

    reg_number: str
    kind: str
    appeal_type: str
    channel: str
    language: str
    category: str
    district: str
    applicant_kind: str
    applicant_identity: str
    applicant_name: str
    applicants_count: int
    addressee: str
    received_at: str
    state: str
    executor: str = ""
    deadline: str = ""
    overdue: bool = False
    possible_repeat_of: list[str] = field(default_factory=list)
    closure_reason: str = ""
    answer_character: str = ""
    parent: str = ""  # the reception an instruction was given at
    workflow_run: str = ""  # the first run of the workflow that registered the number (it runs once)


@dataclass
class RegisterResult:
    possible_repeat_of: list[str]


@dataclass
class DeadlineRequest:
    """Plan a term: either `term_working_days` counted from `start`, or an explicit `due_date`."""

    reg_number: str
    now: str  # workflow time (UTC ISO); compressed timing counts from here
    start: str
    rules: ControlRules
    term_working_days: int = 0
    due_date: str = ""
    from_receipt: bool = False  # count from receipt (after-hours and day-off rules apply)


@dataclass
class TimerPoint:
    """A moment the case must act at; removed from the case once it has fired."""

    kind: str  # reminder | escalation | disciplinary | hearing_end | proposal_term | reception_reminder | no_show
    legal_at: str  # the legal moment (UTC ISO)
    fire_at: str  # when the workflow's timer fires (UTC ISO; earlier than legal_at in demo timing)
    working_days: int = 0  # reminders: working days before the term; disciplinary: working days overdue
    hours_before: int = 0  # reception reminders: hours before the slot


@dataclass
class DeadlinePlan:
    due_date: str
    due_at: str
    points: list[TimerPoint]
    forward_by: str = ""  # end of the term to forward outside competence (UTC ISO), from receipt only


@dataclass
class WorkingTimeRequest:
    now: str
    start: str
    working_days: int
    kind: str
    rules: ControlRules


@dataclass
class RouteRequest:
    category: str
    district: str


@dataclass
class EventWrite:
    """One accepted move to append to the registry, with the card's fields after it."""

    card: CaseCard
    record: MoveRecord
    key: str  # idempotency key within the case: "move-<seq>" or a system event's key


@dataclass
class NotificationRequest:
    reg_number: str
    key: str  # idempotency key: one notification per key, whatever the retries
    recipient: str
    template: str
    language: str
    context: dict[str, str]


@dataclass
class ProposalRequest:
    reg_number: str
    key: str
    executor: str
    due_date: str
    overdue_working_days: int
    language: str
    context: dict[str, str]


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
    slot: Slot | None = None  # receptions
    instructions: list[InstructionStanding] = field(default_factory=list)  # receptions
    executors: list[ExecutorTrack] = field(default_factory=list)  # Presidential instructions
    proposals: list[ProposalState] = field(default_factory=list)  # Presidential instructions
    period: int = 0  # Presidential instructions: the current reporting period
    runs: int = 0  # how many workflow runs the trail spans (continue-as-new)
    refusals_dropped: int = 0  # refusals older than the kept ones (policies/limits.yaml)
    timeline_dropped: int = 0
    failed_effects: list[str] = field(default_factory=list)  # side effects waiting for an operator's retry
    table_version: int = 1  # the version of the kind's table this case runs under


@dataclass
class SlotRequest:
    reception: str
    slot_id: int
    now: str  # workflow time: a slot in the past cannot be booked


@dataclass
class Slot:
    slot_id: int
    official: str
    start: str  # UTC ISO
    end: str
    format: str
    district: str
    place: str
    link: str
    local: str = ""  # the start in local time, as people read it ("2026-12-03 10:00")


@dataclass
class InstructionSpec:
    """One instruction an official gives at a reception (also the schema of `hold`'s details)."""

    executor: str = rule(limit=100, required=True)
    text: str = rule(limit=20_000, required=True)  # models.appeal.MAX_TEXT_CHARS
    term_working_days: int = rule(min=1, max=120)  # models.appeal.MAX_TERM_WORKING_DAYS


@dataclass
class InstructionCheck:
    instructions: list[InstructionSpec]
    max_working_days: int


@dataclass
class InstructionProposalRequest:
    reg_number: str
    key: str
    executors: list[str]
    reason: str
    language: str
    context: dict[str, str]


@dataclass
class ProposalStatusRequest:
    key: str
    status: str
    actor: str
    reason: str = ""


@dataclass
class ConclusionRequest:
    reg_number: str
    key: str
    language: str
    context: dict[str, str]
    executors: list[ExecutorTrack]
    proposals: list[ProposalState]


@dataclass
class HalfYearRequest:
    period_end: str  # ISO date the half-year ends on (the report covers the six months before)
