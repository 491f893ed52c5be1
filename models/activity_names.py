"""Our activities as typed references: a workflow calls one by its reference, so workflow code never
imports the database or template machinery into the sandbox, and mypy checks both ends (issue 22,
step 7): the workflow's argument and the result it reads (`workflows/effects.py` `call`), and the
implementation's signature (`ref.method` / `ref.function` decorate it as the activity)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from temporalio import activity

from models.case_status import InstructionStanding
from models.deadlines import DeadlinePlan, DeadlineRequest, TimerPoint, WorkingTimeRequest
from models.notices import (
    ConclusionRequest,
    DeliveryFacts,
    DeliveryQuery,
    HalfYearRequest,
    InstructionProposalRequest,
    NotificationRequest,
    ProposalRequest,
    ProposalStatusRequest,
    RelayRequest,
    RelayResult,
    ReportRequest,
    ReportResult,
)
from models.policy_snapshot import PolicyRequest, PolicySnapshot
from models.reconciliation import ReconcileRequest, ReconcileResult
from models.registry_writes import (
    CaseCard,
    EventReceipt,
    EventWrite,
    MoveCommit,
    OutsideReset,
    RegisterResult,
    RouteRequest,
)
from models.slots import InstructionCheck, Slot, SlotRequest

A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True)
class ActivityRef(Generic[A, R]):
    """One activity: its name in histories, its argument's and its result's types."""

    name: str
    arg: type[A]  # a union of dataclasses, cast, for one that takes one request per kind
    result: type[R]  # type(None): the activity returns nothing

    def method(self, fn: Callable[[Any, A], R]) -> Callable[[Any, A], R]:
        """Define a method of an activities class as this activity (its signature is checked)."""
        return activity.defn(name=self.name)(fn)

    def async_method(self, fn: Callable[[Any, A], Awaitable[R]]) -> Callable[[Any, A], Awaitable[R]]:
        return activity.defn(name=self.name)(fn)

    def function(self, fn: Callable[[A], R]) -> Callable[[A], R]:
        return activity.defn(name=self.name)(fn)

    def async_function(self, fn: Callable[[A], Awaitable[R]]) -> Callable[[A], Awaitable[R]]:
        return activity.defn(name=self.name)(fn)


NOTHING = type(None)

# One request type per kind, told apart by its `kind` (models/policy_snapshot.py).
CHECK_POLICIES = ActivityRef[PolicyRequest, PolicySnapshot]("check_policies", cast(Any, PolicyRequest), PolicySnapshot)
REGISTER_CASE = ActivityRef("register_case", CaseCard, RegisterResult)
PLAN_DEADLINE = ActivityRef("plan_deadline", DeadlineRequest, DeadlinePlan)
PLAN_WORKING_TIME = ActivityRef("plan_working_time", WorkingTimeRequest, TimerPoint)
ROUTE_CASE = ActivityRef("route_case", RouteRequest, str)
RECORD_EVENT = ActivityRef("record_event", EventWrite, EventReceipt)
# the event, the card and the move's notices in one transaction
COMMIT_MOVE = ActivityRef("commit_move", MoveCommit, EventReceipt)
# a reset run's one write: the event and the alerts (issue 20)
RECORD_OUTSIDE_RESET = ActivityRef("record_outside_reset", OutsideReset, NOTHING)
RECONCILE_CASES = ActivityRef("reconcile_cases", ReconcileRequest, ReconcileResult)  # open cards vs running cases
SEND_NOTIFICATION = ActivityRef("send_notification", NotificationRequest, NOTHING)
DRAFT_DISCIPLINARY_PROPOSAL = ActivityRef("draft_disciplinary_proposal", ProposalRequest, NOTHING)
BOOK_SLOT = ActivityRef("book_slot", SlotRequest, Slot)
RELEASE_SLOT = ActivityRef("release_slot", SlotRequest, NOTHING)
CHECK_INSTRUCTIONS = ActivityRef("check_instructions", InstructionCheck, str)
CHECK_EXECUTORS = ActivityRef("check_executors", list, str)
DRAFT_INSTRUCTION_PROPOSAL = ActivityRef("draft_instruction_proposal", InstructionProposalRequest, NOTHING)
SET_PROPOSAL_STATUS = ActivityRef("set_proposal_status", ProposalStatusRequest, NOTHING)
WRITE_CONCLUSION = ActivityRef("write_conclusion", ConclusionRequest, str)
WRITE_HALF_YEAR_REPORT = ActivityRef("write_half_year_report", HalfYearRequest, str)
READ_INSTRUCTION = ActivityRef("read_instruction", str, InstructionStanding)
WRITE_REPORT = ActivityRef("write_report", ReportRequest, ReportResult)
SEND_DIGEST = ActivityRef("send_digest", ReportRequest, int)
RELAY_OUTBOX = ActivityRef("relay_outbox", RelayRequest, RelayResult)
READ_DELIVERIES = ActivityRef("read_deliveries", DeliveryQuery, DeliveryFacts)  # a case's letters (issue 24)

ALL: tuple[ActivityRef[Any, Any], ...] = tuple(v for v in list(globals().values()) if isinstance(v, ActivityRef))
BY_NAME: dict[str, ActivityRef[Any, Any]] = {ref.name: ref for ref in ALL}
