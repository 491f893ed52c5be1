"""What the engine keeps of every case, whatever its kind: the trail and the control machinery's
state. One dataclass, so a new run (continue-as-new) carries it whole and a failed move can be
rolled back by restoring a copy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.case_status import TimelineEntry
from models.deadlines import TimerPoint
from models.moves import MoveRecord, Refusal
from models.policy_snapshot import ControlRules


@dataclass
class FailedEffect:
    """A side effect that failed for good (a template error, a row that will never appear). The
    case goes on; an operator retries it with `retry_side_effects` once the cause is fixed."""

    activity: str
    arg: Any
    at: str
    message: str
    label: str  # what it was, in words ("notice answer_letter to the applicant")


@dataclass
class CaseTrail:
    table_version: int = 1
    history: list[MoveRecord] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    refusals_dropped: int = 0  # older refusals beyond the policy's cap, counted
    timeline: list[TimelineEntry] = field(default_factory=list)
    timeline_dropped: int = 0
    points: list[TimerPoint] = field(default_factory=list)  # timers still to fire
    closure_reason: str = ""
    rules: ControlRules | None = None
    grants: dict[str, list[str]] = field(default_factory=dict)
    own_only: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # the card's codes by name (PolicySnapshot.names)
    failed_effects: list[FailedEffect] = field(default_factory=list)
    runs: int = 1
    # Nonces of the seals this case has taken, each until its seal expires (issue 20): a seal is
    # good once. Bounded by the seal's lifetime; carried to the next run with the rest.
    seal_nonces: dict[str, str] = field(default_factory=dict)
    # What was done to the case outside the engine and refused (a cancellation requested through
    # Temporal): the case is flagged (CaseAttention) while any is listed (issue 20).
    outside_interventions: list[str] = field(default_factory=list)


@dataclass
class CaseRun:
    """A workflow's one argument when a run continues as new: the case's input (as registered),
    its facts and its trail. A new case's argument is its input alone."""

    input: Any
    case: Any = None
    trail: CaseTrail | None = None
