"""What every controlled workflow kind shares: operator moves, refusals, timers, status.

A kind subclasses `ControlledWorkflow`, gives it a table and a case object, and implements
`perform` (the side effects of an allowed move) and `on_timer` (what a due timer point does).
Every operator request, from a signal or the `transition` Update, goes through one inbox that
the workflow's main loop drains in order, so moves never interleave and none is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from models.control import (
    CHECK_POLICIES,
    PLAN_WORKING_TIME,
    RECORD_EVENT,
    SEND_NOTIFICATION,
    CaseCard,
    CaseStatus,
    ControlRules,
    EventWrite,
    NotificationRequest,
    PolicyRequest,
    PolicySnapshot,
    TimelineEntry,
    TimerPoint,
    WorkingTimeRequest,
)
from models.errors import InputError
from models.moves import Actor, MoveRecord, MoveRequest, Refusal, parse_move
from models.permissions import PermissionMatrix
from runtime import search_attributes as sa
from runtime.failures import invalid, refused
from workflows.case_machine import CaseMachine, Table

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Registry writes and notifications retry until they succeed: nothing may be lost.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


def trigger_signal(trigger: str, description: str) -> Callable[..., None]:
    """A signal named after a trigger, so operators can send it from the Web UI's Signal dialog.

    The payload may be missing or malformed (the UI sends none when the box is empty): it is
    refused and recorded, never raised, so the workflow task cannot fail on it.
    """

    def handler(self: ControlledWorkflow, payload: Any = None) -> None:
        self.receive_signal(trigger, payload)

    handler.__name__ = f"signal_{trigger}"
    return workflow.signal(name=trigger, description=description)(handler)


class ControlledWorkflow:
    """Base of every workflow kind. A subclass names its `TABLE`; one signal per operator trigger
    of that table is added here (not in each kind), so the Web UI's Signal dialog lists them."""

    TABLE: ClassVar[Table]
    machine: CaseMachine
    rules: ControlRules | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for trigger in cls.TABLE.operator_triggers():
            setattr(cls, f"signal_{trigger}", trigger_signal(trigger, cls.TABLE.description(trigger)))

    def setup_control(self, machine: CaseMachine) -> None:
        self.machine = machine
        self.rules = None
        self.closure_reason = ""
        self.inbox: list[tuple[int, MoveRequest]] = []
        self.outcomes: dict[int, str | None] = {}
        self.next_ticket = 1
        self.refusals: list[Refusal] = []
        self.timeline: list[TimelineEntry] = []
        self.points: list[TimerPoint] = []
        self.ready = False  # permissions and policies loaded
        self.wake = False  # something other than a request needs a look (e.g. a child's news)

    # ---- operator requests ----
    def receive_signal(self, trigger: str, payload: Any) -> None:
        try:
            move = parse_move(payload, trigger)
        except InputError as err:
            self.record_refusal(trigger, "", "", str(err))
            return
        self.inbox.append((0, move))

    @workflow.update(name="transition", description="Make a move (trigger + actor); refused moves change nothing")
    async def transition(self, payload: Any = None) -> CaseStatus:
        move = parse_move(payload)  # the validator already refused bad payloads
        ticket = self.next_ticket
        self.next_ticket += 1
        self.inbox.append((ticket, move))
        await workflow.wait_condition(lambda: ticket in self.outcomes)
        refusal = self.outcomes.pop(ticket)
        if refusal:
            raise refused(refusal)
        return self.status()

    @transition.validator
    def validate_transition(self, payload: Any = None) -> None:
        try:
            move = parse_move(payload)
        except InputError as err:
            raise invalid(str(err)) from None
        if not self.ready:
            return  # the handler waits for registration and checks again
        refusal = self.check(move)
        if refusal:
            raise refused(refusal)

    def status(self) -> CaseStatus:
        """Each kind exposes this as its `status` query."""
        raise NotImplementedError

    def record_refusal(self, trigger: str, actor_id: str, role: str, message: str) -> None:
        self.refusals.append(
            Refusal(
                trigger=trigger,
                actor_id=actor_id,
                actor_role=role,
                state=self.machine.state,
                at=workflow.now().isoformat(),
                message=message,
            )
        )
        workflow.logger.warning("refused %s by %s/%s: %s", trigger, actor_id, role, message)

    # ---- the main loop ----
    async def control_loop(self) -> None:
        """Drain operator requests and fire timer points until the case is closed."""
        self.ready = True
        while True:
            while self.inbox:
                ticket, move = self.inbox.pop(0)
                refusal = self.check(move) or await self.perform(move)
                if refusal:
                    self.record_refusal(move.trigger, move.actor.id, move.actor.role, refusal)
                if ticket:
                    self.outcomes[ticket] = refusal
            if self.wake:
                self.wake = False
                await self.reconcile()
                continue
            if self.machine.state == "closed" or self.wants_new_run():
                break
            delay = self.next_timer_delay()
            if delay is not None and delay <= timedelta(0):
                await self.fire_due_points()
                continue
            try:
                await workflow.wait_condition(lambda: bool(self.inbox) or self.wake, timeout=delay)
            except TimeoutError:
                await self.fire_due_points()
        if self.machine.state != "closed":
            return  # a new run (continue-as-new) takes over; the inbox is empty here
        # Answer any Update that arrived in the last task, then let handlers finish.
        for ticket, move in self.inbox:
            message = f"{move.trigger!r} refused: the case is closed"
            self.record_refusal(move.trigger, move.actor.id, move.actor.role, message)
            if ticket:
                self.outcomes[ticket] = message
        self.inbox.clear()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def perform(self, move: MoveRequest) -> str | None:
        """Make an allowed move with its side effects; return a refusal if a side effect refuses it
        (e.g. the slot was booked meanwhile), in which case the state must be left untouched."""
        raise NotImplementedError

    def wants_new_run(self) -> bool:
        """Whether the loop should stop so the workflow can continue as new (periodic kinds)."""
        return False

    async def reconcile(self) -> None:
        """React to `wake` (a kind that has children overrides this)."""

    async def system_move(self, trigger: str, actor: Actor, **fields: Any) -> str | None:
        """A move the workflow makes itself (routing by policy, a no-show, all instructions done)."""
        move = MoveRequest(trigger=trigger, actor=actor, **fields)
        return self.check(move, system=True) or await self.perform(move)

    def check(self, move: MoveRequest, *, system: bool = False) -> str | None:
        self.machine.case.now = workflow.now()
        return self.machine.refusal(move, system=system)

    # ---- timers ----
    def next_timer_delay(self) -> timedelta | None:
        pending = [datetime.fromisoformat(p.fire_at) for p in self.points if not p.fired]
        if not pending:
            return None
        return min(pending) - workflow.now()

    async def fire_due_points(self) -> None:
        now = workflow.now()
        for point in sorted(self.points, key=lambda p: p.fire_at):
            if not point.fired and datetime.fromisoformat(point.fire_at) <= now:
                point.fired = True
                await self.on_timer(point)

    async def on_timer(self, point: TimerPoint) -> None:
        raise NotImplementedError

    async def working_days_after_today(self, days: int, kind: str) -> TimerPoint:
        """A timer point at the end of `days` working days counted from tomorrow (hearings,
        approval terms): the calendar is read by an activity, so replay never depends on it."""
        start = (workflow.now() + timedelta(days=1)).isoformat()
        request = WorkingTimeRequest(workflow.now().isoformat(), start, days, kind, self.rules_())
        point: TimerPoint = await self.call(PLAN_WORKING_TIME, request, TimerPoint)
        return point

    def note(self, kind: str, detail: str) -> None:
        self.timeline.append(TimelineEntry(at=workflow.now().isoformat(), kind=kind, detail=detail))

    # ---- shared side effects ----
    async def load_policies(self, request: PolicyRequest) -> PolicySnapshot:
        """Snapshot the policies this case runs under; a catalogue refusal fails the start cleanly."""
        try:
            snapshot: PolicySnapshot = await self.call(CHECK_POLICIES, request, PolicySnapshot)
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise invalid(f"invalid {request.kind}: {cause.message}") from None
            raise
        self.rules = snapshot.rules
        self.machine.permissions = PermissionMatrix(request.kind, snapshot.grants, snapshot.own_only)
        return snapshot

    async def record(self, record: MoveRecord, key: str = "") -> None:
        """Append a move (or a system event) to the registry and refresh the card."""
        await self.call(RECORD_EVENT, EventWrite(self.card(), record, key or f"move-{record.seq}"), None)

    def system_record(self, trigger: str, actor_id: str = "deadline-control") -> MoveRecord:
        """A registry event for something the workflow did by itself (not a move of the table)."""
        state = self.machine.state
        return MoveRecord(
            seq=0,
            trigger=trigger,
            actor_id=actor_id,
            actor_role="system",
            from_state=state,
            to_state=state,
            at=workflow.now().isoformat(),
        )

    async def send(self, recipient: str, template: str, language: str, key: str, context: dict[str, str]) -> None:
        number = workflow.info().workflow_id
        request = NotificationRequest(number, f"{number}:{template}:{key}", recipient, template, language, context)
        await self.call(SEND_NOTIFICATION, request, None)

    def make_move(self, move: MoveRequest, detail: dict[str, str] | None = None) -> MoveRecord:
        """Apply an allowed move; a move into `closed` records its reason and stops all timers."""
        record = self.machine.apply(move, workflow.now(), detail)
        if record.to_state == "closed":
            self.closure_reason = record.detail.get("closure", "")
            self.points = []
        return record

    def case_status(self, **fields: Any) -> CaseStatus:
        """The `status` query's answer: what every kind shows, plus the kind's own `fields`."""
        return CaseStatus(
            reg_number=workflow.info().workflow_id,
            kind=self.TABLE.kind,
            state=self.machine.state,
            executor=self.machine.case.executor,
            closure_reason=self.closure_reason,
            history=list(self.machine.history),
            refusals=list(self.refusals),
            timeline=list(self.timeline),
            **fields,
        )

    def case_kind(self) -> str:
        """The kind operators filter by (CaseKind)."""
        return self.TABLE.kind

    def upsert_search_attributes(self) -> None:
        workflow.upsert_search_attributes(
            [
                sa.CASE_KIND.value_set(self.case_kind()),
                sa.CASE_STATE.value_set(self.machine.state),
                *self.search_attribute_updates(),
            ]
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        """The kind's own search attributes (kind and state are set by the base)."""
        raise NotImplementedError

    def card(self) -> CaseCard:
        raise NotImplementedError

    def rules_(self) -> ControlRules:
        assert self.rules is not None, "policies are loaded at the start of run"
        return self.rules

    # ---- activities ----
    async def call(self, name: str, arg: Any, result_type: type | None = None) -> Any:
        return await workflow.execute_activity(
            name, arg, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )
