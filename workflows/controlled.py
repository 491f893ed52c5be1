"""What every controlled workflow kind shares: the main loop, moves and new runs.

A kind subclasses `ControlledWorkflow[Input, Case]`, names its `TABLES` (every version of its
table), keeps its facts in one case dataclass, and implements one `on_<trigger>` handler per
trigger and one `on_point_<kind>` per timer point. Every operator request, from a signal or the
`transition` Update, is parsed at the boundary into a typed move and goes through one inbox that
the main loop drains in order, so moves never interleave and none is lost.

The parts, each in its own module, build on one another (issue 22, step 3):
`case_host` (state and the kind's hooks) < `case_view` (status, card, search attributes) <
`outside` (resets and cancellations from outside the engine) < `effects` (activities, the
registry write, notices, all or nothing) < `timer_points` < `registration` < `boundary`
(signals, the Update, seals) < this loop.

Guarantees, whatever a client sends:
- a payload that cannot be decoded or parsed is refused and recorded, never raised into a task;
- a handler that fails before its registry write leaves state untouched (restored from a copy)
  and refuses the move; any failure is recorded and flags the case (`CaseAttention`);
- a side effect that can never succeed is recorded as failed and can be retried by an operator;
- refusals and the timeline are capped, fired timers pruned, and the run hands over to a new one
  (continue-as-new, carrying the trail and the case) when Temporal suggests it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

from models.case_status import CaseStatus
from models.moves import Actor, MoveRecord, MoveRequest
from workflows.boundary import Boundary, trigger_signal
from workflows.case_host import CaseT, InputT


class ControlledWorkflow(Boundary[InputT, CaseT]):
    """Base of every workflow kind. One signal per operator trigger of the kind's tables is added
    here (not in each kind), so the Web UI's Signal dialog lists them."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for trigger in cls.TABLES.operator_triggers():
            setattr(cls, f"signal_{trigger}", trigger_signal(trigger, cls.TABLES.signal_description(trigger)))

    @workflow.init
    def __init__(self, run: Any) -> None:
        self.start_case(run)

    # ---- the main loop ----
    async def run_controlled(self) -> CaseStatus:
        """Run the case until it is closed with nothing left to retry, handing over to a new run
        (continue-as-new) when the history grows long."""
        while True:
            await self.control_loop()
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() or bool(self.inbox))
            if self.inbox:
                continue  # an Update arrived meanwhile: answer it first
            if await self.let_messages_in():
                continue  # look again at what arrived while local activities ran
            if self.finished():
                return self.status()
            self.note("continue_as_new", f"run {self.trail.runs} hands over after {self.history_length()} events")
            workflow.continue_as_new(self.next_run())

    def finished(self) -> bool:
        return self.case.state == "closed" and not self.trail.failed_effects

    async def control_loop(self) -> None:
        """Drain operator requests and fire timer points until the case is finished or a new run is due."""
        self.ready = True
        while True:
            if self.reset_run():
                await self.park()
            while self.inbox:
                ticket, move = self.inbox.popleft()
                self.moving_ticket = ticket
                refusal = self.authenticate(move) if self.sealed_moves_required() else None
                refusal = refusal or await self.handle(move)
                self.moving_ticket = 0
                if refusal:
                    self.record_refusal(move.trigger, move.actor.id, move.actor.role, refusal)
                if ticket:
                    self.outcomes[ticket] = refusal
            if self.wake:
                self.wake = False
                await self.guarded("reconcile", self.reconcile)
                continue
            if self.finished() or self.new_run_due():
                return
            delay = self.next_timer_delay()
            if delay is not None and delay <= timedelta(0):
                await self.fire_due_points()
                continue
            try:
                await workflow.wait_condition(
                    lambda: bool(self.inbox) or self.wake or self.new_run_due(), timeout=delay
                )
            except TimeoutError:
                await self.fire_due_points()
            except asyncio.CancelledError:
                if not workflow.patched("refuse-cancellation"):
                    raise  # a history recorded before: the case was cancelled then
                self.refuse_cancellation()

    def new_run_due(self) -> bool:
        """Hand over to a new run when Temporal suggests it, the run's events or signals pass the
        policy's bounds, or the kind wants one (periodic control); never with requests waiting."""
        if self.inbox:
            return False
        rules = self.rules_or_default()
        return (
            self.kind_wants_new_run()
            or workflow.info().is_continue_as_new_suggested()
            or self.history_length() >= rules.new_run_after_events
            or self.signals_this_run >= rules.new_run_after_signals
        )

    def kind_wants_new_run(self) -> bool:
        return False

    async def reconcile(self) -> str | None:
        """React to `wake` (a kind that has children overrides this)."""
        return None

    # ---- moves ----
    def acting_for(self, move: MoveRequest) -> str:
        """Who a move is made for: an own-only role (an executor) acts for its unit, as the
        permission check reads it (workflows/case_machine.py); anyone else for themselves."""
        if move.actor.role in self.trail.own_only:
            return move.actor.unit or move.actor.id
        return move.actor.id

    async def handle(self, move: MoveRequest, *, system: bool = False) -> str | None:
        """Check a move and, if allowed, make it with its handler."""
        refusal = self.check(move, system=system)
        if refusal:
            return refusal
        # The case's table version names the handler (`on_<trigger>` unless its row says otherwise).
        handler: Callable[[MoveRequest], Awaitable[str | None]] = getattr(self, self.table.handler(move.trigger))
        return await self.guarded(move.trigger, lambda: handler(move))

    async def system_move(self, trigger: str, actor: Actor, **fields: Any) -> str | None:
        """A move the workflow makes itself (routing by policy, a no-show, all instructions done)."""
        return await self.handle(MoveRequest(trigger=trigger, actor=actor, **fields), system=True)

    def make_move(self, move: MoveRequest, detail: dict[str, str] | None = None) -> MoveRecord:
        """Apply an allowed move and add it to the history; a move into `closed` records its
        reason and stops all timers."""
        step = self.machine.apply(move, workflow.now())
        extra = dict(detail or {})
        if step.closure:
            extra["closure"] = step.closure
            self.trail.closure_reason = step.closure
            self.trail.points = []
        record = MoveRecord(
            seq=len(self.trail.history) + 1,
            trigger=move.trigger,
            actor_id=move.actor.id,
            actor_role=move.actor.role,
            from_state=step.from_state,
            to_state=step.to_state,
            at=workflow.now().isoformat(),
            reason=move.reason,
            detail=extra,
            actor_name=move.actor.name,
            auth=move.actor.method or ("system" if move.actor.role == "system" else ""),
        )
        self.trail.history.append(record)
        return record

    # ---- a trigger every kind has ----
    async def on_retry_side_effects(self, move: MoveRequest) -> str | None:
        """Retry what failed for good, after its cause is fixed; failures with nothing to retry
        (a refused move's internal error) are acknowledged."""
        pending = self.trail.failed_effects
        if not pending:
            return "no side effect is waiting for a retry"
        self.trail.failed_effects = []
        record = self.make_move(
            move, {"retried": str(sum(1 for e in pending if e.activity)), "failed": str(len(pending))}
        )
        await self.record(record)
        for effect in pending:
            if effect.activity:
                await self.retry_effect(effect)
        self.upsert_search_attributes()
        return None
