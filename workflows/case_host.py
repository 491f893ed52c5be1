"""What a controlled workflow holds: its input, its case, its trail and its machine, typed per kind.

The parts of `ControlledWorkflow` (the boundary, registration, outside interventions, effects,
timer points, the case's view) build on this base one over another, so each file holds one
concern; a kind fills the typed hooks declared here (issue 22, step 3).
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from typing import Any, ClassVar, Generic, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from models.case_status import CaseStatus, KindFacts, TimelineEntry
from models.case_trail import CaseTrail
from models.moves import MoveRequest, Refusal
from models.permissions import PermissionMatrix
from models.policy_snapshot import ControlRules, PolicyRequest
from models.registry_writes import CaseCard
from workflows.case_machine import CaseMachine, CaseModel, Table, TableVersions

InputT = TypeVar("InputT")
CaseT = TypeVar("CaseT", bound=CaseModel)

# Caps before the policies are loaded (a case that is still registering): the policy's defaults.
DEFAULT_LIMITS = ControlRules(0, 0, 0, 0, [], 0, 0, "ru")


def refusal_line(number: str, trigger: str, actor_id: str, role: str, message: str) -> str:
    """A refusal as one line of the worker's log: the case, the move, who (if anyone said), why."""
    who = f"{role} {actor_id}" if actor_id and role else actor_id or role or "no actor given"
    reason = " ".join(message.split())[:300]
    return f"{number}: refused {trigger!r} ({who}): {reason}"


def trim(items: list[Any], keep: int) -> int:
    """Drop the oldest entries beyond `keep`; return how many were dropped."""
    extra = len(items) - max(keep, 1)
    if extra > 0:
        del items[:extra]
        return extra
    return 0


class CaseHost(Generic[InputT, CaseT]):
    """The state every part reads, and the hooks each kind implements."""

    TABLES: ClassVar[TableVersions]
    CASE: ClassVar[type[CaseModel]]  # the kind's case dataclass
    input: InputT  # set at the start; read only once `check_input` has passed
    case: CaseT
    trail: CaseTrail
    machine: CaseMachine
    inbox: deque[tuple[int, MoveRequest]]
    outcomes: dict[int, str | None]
    ready: bool  # permissions and policies loaded
    committed: bool  # the move in progress has been written to the registry

    # ---- the kind's hooks ----
    @staticmethod
    @abstractmethod
    def parse_input(raw: Any) -> Any:
        """The kind's input parser (raises InputError naming the field)."""

    @staticmethod
    @abstractmethod
    def policy_request(parsed: Any) -> PolicyRequest:
        """What the kind's registration asks of the policies for this input: the workflow's first
        activity, and the check every registering client makes before it takes a number."""

    @abstractmethod
    def status(self) -> CaseStatus:
        """The `status` query (workflows/case_view.py)."""

    @abstractmethod
    def facts(self) -> KindFacts:
        """What only this kind's status shows."""

    @abstractmethod
    def is_overdue(self) -> bool:
        """Whether the case is past its term (for a reception: one of its instructions is)."""

    @abstractmethod
    def card(self) -> CaseCard:
        """The case's registry card."""

    @abstractmethod
    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        """The kind's own search attributes (kind, state and attention are set by the base)."""

    # ---- what every part reads ----
    def setup_control(self, case: CaseT, trail: CaseTrail | None) -> None:
        """`trail` is what a previous run carried (None for a new case)."""
        if trail is None:
            trail = CaseTrail(table_version=self.TABLES.for_new_case().version)
        else:
            trail.runs += 1
        self.case = case
        self.trail = trail
        self.machine = CaseMachine(self.TABLES.version(trail.table_version), case)
        self.inbox = deque()
        self.outcomes = {}
        self.next_ticket = 1
        self.ready = False
        self.wake = False  # something other than a request needs a look (e.g. a child's news)
        self.committed = False
        self.signals_this_run = 0  # the server caps signals per run: a new run takes them again
        self.local_effects_task = 0  # history length of the workflow task that last ran a local activity

    @property
    def table(self) -> Table:
        return self.machine.table

    @property
    def permissions(self) -> PermissionMatrix | None:
        if self.trail.rules is None:
            return None
        return PermissionMatrix(self.table.kind, self.trail.grants, self.trail.own_only)

    def rules_(self) -> ControlRules:
        assert self.trail.rules is not None, "policies are loaded at the start of run"
        return self.trail.rules

    def rules_or_default(self) -> ControlRules:
        return self.trail.rules or DEFAULT_LIMITS

    def history_length(self) -> int:
        return workflow.info().get_current_history_length()

    def note(self, kind: str, detail: str) -> None:
        self.trail.timeline.append(TimelineEntry(at=workflow.now().isoformat(), kind=kind, detail=detail[:1000]))
        self.trail.timeline_dropped += trim(self.trail.timeline, self.rules_or_default().keep_timeline)

    def record_refusal(self, trigger: str, actor_id: str, role: str, message: str) -> None:
        self.trail.refusals.append(
            Refusal(
                trigger=trigger,
                actor_id=actor_id,
                actor_role=role,
                state=self.case.state,
                at=workflow.now().isoformat(),
                message=message[:1000],
            )
        )
        self.trail.refusals_dropped += trim(self.trail.refusals, self.rules_or_default().keep_refusals)
        workflow.logger.info(refusal_line(workflow.info().workflow_id, trigger, actor_id, role, message))

    def check(self, move: MoveRequest, *, system: bool = False) -> str | None:
        """Why the table or the permissions refuse the move now (None: allowed)."""
        return self.machine.refusal(move, workflow.now(), self.permissions, system=system)
