"""What every controlled workflow kind shares: the boundary, moves, refusals, side effects, timers,
bounded growth and new runs.

A kind subclasses `ControlledWorkflow`, names its `TABLES` (every version of its table), keeps
its facts in one case dataclass, and implements one `on_<trigger>` handler per trigger plus
`on_timer`. Every operator request, from a signal or the `transition` Update, is parsed at the
boundary into a typed move and goes through one inbox that the main loop drains in order, so
moves never interleave and none is lost.

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
import copy
import dataclasses
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from models.activity_names import (
    CHECK_POLICIES,
    COMMIT_MOVE,
    PLAN_WORKING_TIME,
    RECORD_EVENT,
    RECORD_OUTSIDE_RESET,
    REGISTER_CASE,
    SEND_NOTIFICATION,
)
from models.case_status import CaseStatus, TimelineEntry
from models.case_trail import CaseRun, CaseTrail, FailedEffect
from models.deadlines import TimerPoint, WorkingTimeRequest
from models.errors import InputError
from models.moves import (
    REGISTER,
    Actor,
    MoveRecord,
    MoveRequest,
    Refusal,
    SealBinding,
    move_digest,
    parse_binding,
    parse_move,
    parse_seal,
)
from models.notices import NotificationRequest
from models.permissions import PermissionMatrix
from models.policy_snapshot import ControlRules, PolicyRequest, PolicySnapshot
from models.registry_writes import CaseCard, EventReceipt, EventWrite, MoveCommit, OutsideReset, RegisterResult
from runtime import search_attributes as sa
from runtime.failures import invalid, refused
from runtime.payloads import UNSEALED
from workflows.carry import carried
from workflows.case_card import AllowedMove, CardFacts, render_card
from workflows.case_machine import CaseMachine, CaseModel, Table, TableVersions, bound_example

ACTIVITY_TIMEOUT = timedelta(seconds=30)
NOT_AUTHENTICATED = "move not authenticated: send it from the Web UI or the CLI after logging in"
NOT_SIGNED = (
    "move not authenticated: its seal is not signed by a sealer's key (the data key alone does not make a seal);"
    " send it from the Web UI or the CLI after logging in"
)
RESET_REFUSAL = (
    "this run of the case was reset through Temporal, outside the engine: it refuses every move and writes"
    " nothing; the head and the auditors are alerted (the registry keeps the case as it was)"
)
SEAL_CLOCK_SKEW_SECONDS = 60  # the codec server's clock may run this far ahead of the server's
ANOTHER_MOVE = "seal made for another case or move"
OTHER_FIELDS = "was made for other fields"  # a seal's digest differs from the fields received
REFUSED_REGISTRATION = "refused_registration"  # CaseState of a start that did not register a case


def receipt_time(value: str, rules: ControlRules) -> datetime | None:
    """An input's receipt time, aware (a naive one is local time: the zone's offset at registration)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone(timedelta(minutes=rules.utc_offset_minutes)))


# Errors no retry can fix: a template that does not render, input a rule refuses, a row that will
# never appear. Everything else (database busy or down, network) retries until it succeeds.
PERMANENT_ERRORS = ["TemplateError", "TemplateSyntaxError", "UndefinedError", "TemplateNotFound", "PermanentFailure"]
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=PERMANENT_ERRORS,
)


def trigger_signal(trigger: str, description: str) -> Callable[..., None]:
    """A signal named after a trigger, so operators can send it from the Web UI's Signal dialog.

    It takes any number of untyped arguments, so that a missing, extra, undecryptable or
    malformed payload reaches `receive_signal` and is refused and recorded there.
    """

    def handler(self: ControlledWorkflow, *args: Any) -> None:
        self.receive_signal(trigger, args)

    handler.__name__ = f"signal_{trigger}"
    return workflow.signal(name=trigger, description=description)(handler)


def refusal_line(number: str, trigger: str, actor_id: str, role: str, message: str) -> str:
    """A refusal as one line of the worker's log: the case, the move, who (if anyone said), why."""
    who = f"{role} {actor_id}" if actor_id and role else actor_id or role or "no actor given"
    reason = " ".join(message.split())[:300]
    return f"{number}: refused {trigger!r} ({who}): {reason}"


def claimed_actor(raw: Any) -> tuple[str, str]:
    """Who a refused payload says it came from, for the record (never trusted for anything else)."""
    actor = raw.get("actor") if isinstance(raw, dict) else None
    if not isinstance(actor, dict):
        return "", ""
    ident, role = actor.get("id"), actor.get("role")
    return (ident[:100] if isinstance(ident, str) else ""), (role[:50] if isinstance(role, str) else "")


class ControlledWorkflow:
    """Base of every workflow kind. One signal per operator trigger of the kind's tables is added
    here (not in each kind), so the Web UI's Signal dialog lists them."""

    TABLES: ClassVar[TableVersions]
    CASE: ClassVar[type[CaseModel]]  # the kind's case dataclass
    # Messages between our own workflows: handled by the dynamic signal handler, so they are not
    # offered in the Web UI's list; their content is never trusted (a kind re-reads the facts).
    INTERNAL_SIGNALS: ClassVar[dict[str, str]] = {}
    case: CaseModel
    trail: CaseTrail
    machine: CaseMachine

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for trigger in cls.TABLES.operator_triggers():
            setattr(cls, f"signal_{trigger}", trigger_signal(trigger, cls.TABLES.signal_description(trigger)))

    @workflow.init
    def __init__(self, run: Any) -> None:
        self.start_case(run)

    @staticmethod
    def parse_input(raw: Any) -> Any:
        """The kind's input parser (raises InputError naming the field)."""
        raise NotImplementedError

    def start_case(self, raw: Any) -> None:
        """Read the workflow's argument (a new case's input, or a continued run's `CaseRun`) and set
        up the case. Bad input is kept as `input_error`; `run` fails the start with it."""
        self.input_error = ""
        self.input: Any = None
        self.start_seal: Any = None  # a new case's registration seal, as it came (checked in `run`)
        self.start_digest = ""  # the digest of the input the seal must cover
        self.registered_by: Actor | None = None  # who sealed the registration (None: a parent case)
        self.reset_seen = False  # this run was reset outside the engine (issue 20): it parks
        self.moving_ticket = 0  # the Update whose move is being made (answered if the run parks)
        run: CaseRun | None = None
        try:
            run = self.parse_run(raw)
            self.input = run.input
            if self.input.reg_number != workflow.info().workflow_id:
                raise InputError("reg_number", "must equal the workflow id")
        except InputError as err:
            self.input_error = str(err)
        self.setup_control(run.case if run and run.case else self.CASE(), run.trail if run else None)

    def parse_run(self, raw: Any) -> CaseRun:
        if isinstance(raw, CaseRun):
            return raw
        if isinstance(raw, dict) and "input" in raw and "trail" in raw:
            return CaseRun(
                self.parse_input(raw["input"]), carried(raw, "case", self.CASE), carried(raw, "trail", CaseTrail)
            )
        if isinstance(raw, dict) and "seal" in raw:  # a registration: the seal apart, the input as sealed
            self.start_seal = raw["seal"]
            raw = {k: v for k, v in raw.items() if k != "seal"}
            self.start_digest = move_digest(raw, ("seal",))
        return CaseRun(self.parse_input(raw))

    def check_input(self) -> None:
        """At the start of `run`: a start with bad input fails, naming the field and the rule. A new
        case (issue 20) first takes over every search attribute it owns (a client may have set
        them at the start) and counts only when a registrar or a channel sealed it, or its parent
        case started it; a refused registration marks itself and fails with nothing else done."""
        kind = self.TABLES.current.kind
        if self.trail.runs == 1 and workflow.patched("sealed-registration"):
            owned = {key.name for key in sa.ALL_KEYS} - {sa.CASE_KIND.name, sa.CASE_STATE.name}
            set_by_start = [pair.key for pair in workflow.info().typed_search_attributes if pair.key.name in owned]
            workflow.upsert_search_attributes(
                [key.value_unset() for key in set_by_start]
                + [sa.CASE_KIND.value_set(kind), sa.CASE_STATE.value_set(self.case.state)]
            )
            if self.input_error or self.input is None:
                self.refuse_registration(f"invalid {kind}: {self.input_error}")
            refusal = self.registration_refusal()
            if refusal:
                self.refuse_registration(f"registration refused: {refusal}")
            if isinstance(self.start_seal, dict):
                self.registered_by = parse_seal(self.start_seal)
            return
        if self.input_error or self.input is None:
            raise invalid(f"invalid {kind}: {self.input_error}")

    def registration_refusal(self) -> str | None:
        """Why this start does not register a case (None: it does). Reads the case only."""
        info = workflow.info()
        if info.parent is not None:
            return None  # started by a case of ours (a reception's instruction): the server says so
        if self.start_seal is None or self.start_seal == UNSEALED:
            return "not sealed by a registrar; register from the Web UI or the CLI after logging in"
        try:
            parse_seal(self.start_seal)
            binding = parse_binding(self.start_seal)
        except InputError as err:
            return str(err)
        if not self.start_seal.get("verified") and workflow.patched("signed-seals"):
            return NOT_SIGNED.removeprefix("move not authenticated: ")
        if binding is None or binding.message != REGISTER:
            return "the seal is not a registration's"
        mismatch = self.seal_mismatch(binding, REGISTER, self.start_digest)
        if mismatch:
            return "the input is not the one sealed" if mismatch == OTHER_FIELDS else f"the seal {mismatch}"
        stale = self.seal_age_problem(str(self.start_seal["issued_at"]))
        return f"the seal is {stale}; register again" if stale else None

    def refuse_registration(self, message: str) -> None:
        """Mark the start refused (no open-case list shows it), log it, and fail it: no card, no
        notice, no timer. Auditors list refused registrations by `CaseState = 'refused_registration'`."""
        workflow.upsert_search_attributes([sa.CASE_STATE.value_set(REFUSED_REGISTRATION)])
        workflow.logger.warning("%s: %s", workflow.info().workflow_id, message[:300])
        raise invalid(message)

    def next_run(self) -> CaseRun:
        """The argument of the next run: the input, the case and the trail."""
        return CaseRun(self.input, self.case, self.trail)

    def setup_control(self, case: CaseModel, trail: CaseTrail | None) -> None:
        """`trail` is what a previous run carried (None for a new case)."""
        if trail is None:
            trail = CaseTrail(table_version=self.TABLES.for_new_case().version)
        else:
            trail.runs += 1
        self.case = case
        self.trail = trail
        self.machine = CaseMachine(self.TABLES.version(trail.table_version), case)
        self.inbox: deque[tuple[int, MoveRequest]] = deque()
        self.outcomes: dict[int, str | None] = {}
        self.next_ticket = 1
        self.ready = False  # permissions and policies loaded
        self.wake = False  # something other than a request needs a look (e.g. a child's news)
        self.committed = False  # the move in progress has been written to the registry
        self.signals_this_run = 0  # the server caps signals per run: a new run takes them again
        self.local_effects_task = 0  # history length of the workflow task that last ran a local activity
        self.shown_card = ""  # the case card last shown in the Web UI (this run)

    @property
    def table(self) -> Table:
        return self.machine.table

    @property
    def permissions(self) -> PermissionMatrix | None:
        if self.trail.rules is None:
            return None
        return PermissionMatrix(self.table.kind, self.trail.grants, self.trail.own_only)

    # ---- the boundary: operator requests ----
    def parse_request(self, args: Sequence[Any], trigger: str | None = None) -> MoveRequest:
        if len(args) > 1:
            raise InputError("payload", f"send one JSON object, got {len(args)} arguments")
        try:
            return parse_move(args[0] if args else None, trigger, self.table.details_schema)
        except RecursionError:
            raise InputError("payload", "is nested too deeply to read") from None

    def receive_signal(self, trigger: str, args: Sequence[Any]) -> None:
        self.signals_this_run += 1
        try:
            move = self.parse_request(args, trigger)
        except InputError as err:
            self.record_refusal(trigger, *claimed_actor(args[0] if args else None), str(err))
            return
        self.inbox.append((0, move))

    @workflow.signal(dynamic=True)
    def internal_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Internal messages by name; any other signal name is refused and recorded."""
        self.signals_this_run += 1
        method = self.INTERNAL_SIGNALS.get(name)
        if method is None:
            self.record_refusal(name[:64], "", "", f"signal {name[:64]!r} is not a move of this case")
            return
        values = workflow.payload_converter().from_payloads([a.payload for a in args])
        getattr(self, method)(values)

    @workflow.update(
        name="transition",
        description="Make a move and get the new status; refused moves change nothing. Payload: the move's "
        'signal payload plus its trigger, e.g. {"trigger": "accept"}',
    )
    async def transition(self, *args: Any) -> CaseStatus:
        move = self.parse_request(args)  # the validator already refused bad payloads
        ticket = self.next_ticket
        self.next_ticket += 1
        self.inbox.append((ticket, move))
        await workflow.wait_condition(lambda: ticket in self.outcomes)
        refusal = self.outcomes.pop(ticket)
        if refusal:
            raise refused(refusal)
        return self.status()

    @transition.validator
    def validate_transition(self, *args: Any) -> None:
        """Refuses with a plain reason; reads the case, changes nothing."""
        if self.reset_seen:
            raise refused(RESET_REFUSAL)
        try:
            move = self.parse_request(args)
        except InputError as err:
            raise invalid(str(err)) from None
        # Validators run only when an Update arrives, never in a replay: the seal is always required,
        # bound to this case and move.
        unauthenticated = self.authentication_refusal(move, bound=True, signed=True)
        if unauthenticated:
            raise refused(unauthenticated)
        if not self.ready:
            return  # the handler waits for registration and checks again
        refusal = self.check(move)
        if refusal:
            raise refused(refusal)

    def status(self) -> CaseStatus:
        """Each kind exposes this as its `status` query."""
        raise NotImplementedError

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
        self.trail.refusals_dropped += _trim(self.trail.refusals, self.rules_or_default().keep_refusals)
        workflow.logger.info(refusal_line(workflow.info().workflow_id, trigger, actor_id, role, message))

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
                self.refresh_card()
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
                self.refresh_card()
                return
            delay = self.next_timer_delay()
            if delay is not None and delay <= timedelta(0):
                await self.fire_due_points()
                continue
            self.refresh_card()
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

    def acting_for(self, move: MoveRequest) -> str:
        """Who a move is made for: an own-only role (an executor) acts for its unit, as the
        permission check reads it (workflows/case_machine.py); anyone else for themselves."""
        if move.actor.role in self.trail.own_only:
            return move.actor.unit or move.actor.id
        return move.actor.id

    def reset_run(self) -> bool:
        """Whether this run was reset through Temporal, outside the engine (issue 20), as of this
        task. A reset run's history is the run it was reset from up to the reset point, then its
        own tasks; only the server's reset gives a run a run id other than its history's original
        one. The replayed part must run as it ran, so the reset is taken only in the first task
        that runs live, which marks itself with a patch named after the history's length there;
        a replay of the reset run finds the mark at the same point, the replayed part finds none."""
        if self.reset_seen:
            return True
        info = workflow.info()
        if info.run_id == info.original_execution_run_id and not workflow.unsafe.is_replaying():
            return False  # a live task of a run the engine started (a replayer's run id says nothing)
        if workflow.patched(f"reset-run-{info.get_current_history_length()}"):
            self.reset_seen = True
        return self.reset_seen

    async def park(self) -> None:
        """A reset run (issue 20): it was neither registered nor continued by the engine. It records
        the reset once (an event of the case and an alert to the head and the auditors; the card's
        state is not touched), flags itself (CaseAttention, the card's "outside" line), then refuses
        every move for good and runs no timer. Never returns: an administrator terminates the run
        or resets it back once the case is restored."""
        info = workflow.info()
        at = workflow.now()
        what = (
            f"{at.isoformat()[:19]}: reset through Temporal outside the engine (run {info.run_id} of"
            f" {info.original_execution_run_id}, back to {self.case.state}); every move is refused, nothing is written"
        )
        self.trail.outside_interventions = [*self.trail.outside_interventions, what][-20:]
        self.note("reset_outside_engine", what)
        workflow.logger.error("%s: %s", info.workflow_id, what)
        if self.moving_ticket:
            self.outcomes[self.moving_ticket] = RESET_REFUSAL
            self.moving_ticket = 0
        if self.trail.rules is None:  # reset to before registration: no card of this run to show
            workflow.upsert_search_attributes([sa.CASE_ATTENTION.value_set(True)])
            workflow.set_current_details(f"**Reset outside the engine.** {what}")
        else:
            self.upsert_search_attributes()
            self.refresh_card()
        language = str(getattr(self.input, "language", "") or "ru")
        try:
            await workflow.execute_local_activity(
                RECORD_OUTSIDE_RESET,
                OutsideReset(
                    info.workflow_id,
                    info.original_execution_run_id,
                    info.run_id,
                    at.isoformat(),
                    self.case.state,
                    language,
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as err:  # the flag and the card still say it; the log names why the alert failed
            workflow.logger.error("%s: the reset could not be recorded: %s", info.workflow_id, err.cause or err)
        while True:
            await workflow.wait_condition(lambda: bool(self.inbox))
            while self.inbox:
                ticket, move = self.inbox.popleft()
                self.record_refusal(move.trigger, move.actor.id, move.actor.role, RESET_REFUSAL)
                if ticket:
                    self.outcomes[ticket] = RESET_REFUSAL

    def refuse_cancellation(self) -> None:
        """A cancellation requested through Temporal (the Web UI's "Request Cancellation", `temporal
        workflow cancel`) does not close a case: it closes only by its own moves (issue 20). The
        request is refused and kept, the case flagged (CaseAttention) and its card says so; who
        asked is in the history's cancel-request event (the SDK does not tell the workflow)."""
        at = workflow.now().isoformat()[:19]
        what = f"{at}: a cancellation was requested outside the engine and refused"
        self.trail.outside_interventions = [*self.trail.outside_interventions, what][-20:]
        self.note("cancellation_refused", "cancellation requested through Temporal: refused; the case goes on")
        workflow.logger.error("%s: %s", workflow.info().workflow_id, what)
        self.upsert_search_attributes()

    def sealed_moves_required(self) -> bool:
        """Operator moves count only when sealed (issue 10). Cases whose history was recorded
        before keep replaying as they ran; from now on every case, old or new, requires seals."""
        return workflow.patched("sealed-moves")

    def seal_binding_required(self) -> bool:
        """A seal is good for one move on one case, once (issue 20). Histories recorded before
        replay as they ran; from now on every case, old or new, requires bound seals."""
        return workflow.patched("seal-binding")

    def signed_seals_required(self) -> bool:
        """A seal counts only when signed by a sealer's key (issue 20.5: the data key alone no
        longer makes a seal). Histories recorded before replay as they ran."""
        return workflow.patched("signed-seals")

    def authenticate(self, move: MoveRequest) -> str | None:
        """Why the move taken from the inbox does not count (None: it does, and its seal is used up)."""
        bound = self.seal_binding_required()
        signed = bound and self.signed_seals_required()
        refusal = self.authentication_refusal(move, bound=bound, signed=signed)
        if refusal is None and bound and move.binding is not None:
            self.use_seal(move.binding.nonce, move.sealed_at)
        return refusal

    def authentication_refusal(self, move: MoveRequest, *, bound: bool, signed: bool = False) -> str | None:
        """Why an operator move does not count as made by an authenticated user (None: it does).
        Reads the case only: the validator asks it too."""
        if not move.sealed_at:
            return NOT_AUTHENTICATED
        if signed and not move.signed_by:
            return NOT_SIGNED
        stale = self.seal_age_problem(move.sealed_at)
        if stale:
            again = "; send it again" if stale.startswith("older") else ""
            return f"move not authenticated: its seal ({move.sealed_at[:19]}) is {stale}{again}"
        return self.binding_refusal(move) if bound else None

    def binding_refusal(self, move: MoveRequest) -> str | None:
        """Why the seal is not good for this move on this case now (None: it is)."""
        seal = move.binding
        if seal is None:
            return "move not authenticated: its seal names no case and move (an older codec server?); send it again"
        mismatch = self.seal_mismatch(seal, move.trigger, move.digest)
        if mismatch == OTHER_FIELDS:
            why = "the move's fields are not the ones sealed"
        elif mismatch:
            why = f"it {mismatch}"
        elif seal.nonce in self.trail.seal_nonces:
            why = "it was already used"
        else:
            return None
        return f"{ANOTHER_MOVE}: {why} (sealed for {move.actor.id} by {move.actor.method or 'a key holder'})"

    def seal_age_problem(self, issued_at: str) -> str | None:
        """What is wrong with a seal's age, a move's or a registration's (None: it is fresh)."""
        age = workflow.now() - datetime.fromisoformat(issued_at)
        limit = self.rules_or_default().seal_max_age_seconds
        if age > timedelta(seconds=limit):
            return f"older than {limit} s"
        if age < -timedelta(seconds=SEAL_CLOCK_SKEW_SECONDS):
            return "dated in the future"
        return None

    @staticmethod
    def seal_mismatch(seal: SealBinding, message: str, digest: str) -> str | None:
        """How a seal is for another case, namespace, message or fields than this one (None: it is
        for these); `OTHER_FIELDS` when only the digest differs."""
        info = workflow.info()
        if seal.case != info.workflow_id:
            return f"was made for case {seal.case[:40]!r}"
        if seal.namespace != info.namespace:
            return f"was made in namespace {seal.namespace[:40]!r}"
        if seal.message != message:
            return f"was made for {seal.message[:40]!r}, not {message!r}"
        return OTHER_FIELDS if seal.digest != digest else None

    def use_seal(self, nonce: str, issued_at: str) -> None:
        """Keep the nonce while its seal could still be used; forget those that have expired."""
        now = workflow.now()
        lifetime = timedelta(seconds=self.rules_or_default().seal_max_age_seconds + SEAL_CLOCK_SKEW_SECONDS)
        kept = self.trail.seal_nonces
        for old in [n for n, until in kept.items() if datetime.fromisoformat(until) < now]:
            del kept[old]
        kept[nonce] = (datetime.fromisoformat(issued_at) + lifetime).isoformat()

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

    def history_length(self) -> int:
        return workflow.info().get_current_history_length()

    def kind_wants_new_run(self) -> bool:
        return False

    async def reconcile(self) -> None:
        """React to `wake` (a kind that has children overrides this)."""

    async def handle(self, move: MoveRequest, *, system: bool = False) -> str | None:
        """Check a move and, if allowed, make it with its handler `on_<trigger>`."""
        refusal = self.check(move, system=system)
        if refusal:
            return refusal
        handler: Callable[[MoveRequest], Awaitable[str | None]] = getattr(self, f"on_{move.trigger}")
        return await self.guarded(move.trigger, lambda: handler(move))

    async def guarded(self, what: str, step: Callable[[], Awaitable[str | None]]) -> str | None:
        """Run a move's handler (or a timer's, or a reconciliation) all or nothing: if it fails
        before its registry write, the case is restored and the move refused; either way the
        failure is recorded and flags the case for an operator, instead of failing the workflow
        task again and again."""
        saved = self.save()
        self.committed = False
        try:
            return await step()
        except Exception as err:  # a bug or a side effect that cannot succeed: never a task failure
            message = f"{type(err).__name__}: {_failure_message(err)}"
            if self.committed:
                self.fail_effect("", None, f"{what}: recorded, but a later step failed", message)
                return None
            self.restore(saved)
            self.fail_effect("", None, f"{what}: not made, nothing was changed", message)
            return f"{what!r} could not be made ({message}); nothing was changed and the case is flagged for attention"
        finally:
            self.committed = False

    def save(self) -> tuple[dict[str, Any], CaseTrail]:
        facts = {f.name: getattr(self.case, f.name) for f in dataclasses.fields(self.case)}  # type: ignore[arg-type]
        return copy.deepcopy((facts, self.trail))

    def restore(self, saved: tuple[dict[str, Any], CaseTrail]) -> None:
        facts, trail = saved
        for name, value in facts.items():
            setattr(self.case, name, value)
        self.trail = trail

    async def system_move(self, trigger: str, actor: Actor, **fields: Any) -> str | None:
        """A move the workflow makes itself (routing by policy, a no-show, all instructions done)."""
        return await self.handle(MoveRequest(trigger=trigger, actor=actor, **fields), system=True)

    def check(self, move: MoveRequest, *, system: bool = False) -> str | None:
        return self.machine.refusal(move, workflow.now(), self.permissions, system=system)

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
                await self.effect(effect.activity, effect.arg, effect.label)
        self.upsert_search_attributes()
        return None

    # ---- timers ----
    def next_timer_delay(self) -> timedelta | None:
        if not self.trail.points:
            return None
        return min(datetime.fromisoformat(p.fire_at) for p in self.trail.points) - workflow.now()

    async def fire_due_points(self) -> None:
        now = workflow.now()
        due = sorted(
            (p for p in self.trail.points if datetime.fromisoformat(p.fire_at) <= now), key=lambda p: p.fire_at
        )
        self.trail.points = [p for p in self.trail.points if datetime.fromisoformat(p.fire_at) > now]
        for point in due:
            await self.guarded(f"timer {point.kind}", lambda point=point: self.on_timer(point))  # type: ignore[misc]

    async def on_timer(self, point: TimerPoint) -> None:
        """A due point is handled by the kind's `on_point_<kind>` (issue 22: dispatched by name, as
        triggers are); a point with no handler is noted, never silently dropped."""
        handler = getattr(self, f"on_point_{point.kind}", None)
        if handler is None:
            self.note("timer_unhandled", f"no handler for a {point.kind!r} point at {point.legal_at}")
            return
        await handler(point)

    async def working_days_after_today(self, days: int, kind: str) -> TimerPoint:
        """A timer point at the end of `days` working days counted from tomorrow (hearings,
        approval terms): the calendar is read by an activity, so replay never depends on it."""
        start = (workflow.now() + timedelta(days=1)).isoformat()
        request = WorkingTimeRequest(workflow.now().isoformat(), start, days, kind, self.rules_())
        point: TimerPoint = await self.call(PLAN_WORKING_TIME, request, TimerPoint)
        return point

    def note(self, kind: str, detail: str) -> None:
        self.trail.timeline.append(TimelineEntry(at=workflow.now().isoformat(), kind=kind, detail=detail[:1000]))
        self.trail.timeline_dropped += _trim(self.trail.timeline, self.rules_or_default().keep_timeline)

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
        who = self.registered_by
        if who is not None and snapshot.registering_roles and who.role not in snapshot.registering_roles:
            self.refuse_registration(
                f"registration refused: {who.id} registered as {who.role!r}; registering is for"
                f" {', '.join(snapshot.registering_roles)} (policies/registration.yaml)"
            )
        received = receipt_time(str(getattr(self.input, "received_at", "") or ""), snapshot.rules)
        ahead = timedelta(seconds=snapshot.receipt_clock_skew_seconds)
        if who is not None and received is not None and received > workflow.now() + ahead:
            self.refuse_registration(f"registration refused: received_at: {received.isoformat()} is in the future")
        self.trail.rules = snapshot.rules
        self.trail.grants, self.trail.own_only = snapshot.grants, snapshot.own_only
        return snapshot

    async def register_card(self) -> RegisterResult:
        """Write the case's card once. A registration number runs once: if the registry already
        holds it (open or closed) for another workflow run, this start is refused and the card
        is left as it is, whoever started it and with whatever id-reuse policy."""
        try:
            result: RegisterResult = await self.call(REGISTER_CASE, self.card(), RegisterResult)
        except ActivityError as err:
            raise invalid(f"not registered: {_failure_message(err)}") from None
        return result

    async def record(self, record: MoveRecord, key: str = "", notices: Sequence[NotificationRequest] = ()) -> None:
        """Append a move (or a system event) to the registry and refresh the card: the point at
        which a move is made for good. With local activities, the move's notices are written in
        the same transaction; a notice whose letter does not render is flagged for a retry."""
        write = EventWrite(self.card(), record, key or f"move-{record.seq}")
        if not self.local_effects():
            await self.call(RECORD_EVENT, write, None)
            self.committed = True
            for notice in notices:  # runs that began before one commit per move
                await self.deliver(notice)
            return
        receipt: EventReceipt = await self.call(COMMIT_MOVE, MoveCommit(write, list(notices)), EventReceipt)
        self.committed = True
        for notice in notices:
            if notice.key in receipt.failed_notices:
                self.fail_effect(SEND_NOTIFICATION, notice, notice_label(notice), receipt.failed_notices[notice.key])

    def system_record(self, trigger: str, actor_id: str = "deadline-control") -> MoveRecord:
        """A registry event for something the workflow did by itself (not a move of the table)."""
        state = self.case.state
        return MoveRecord(
            seq=0,
            trigger=trigger,
            actor_id=actor_id,
            actor_role="system",
            from_state=state,
            to_state=state,
            at=workflow.now().isoformat(),
        )

    async def send(self, recipient: str, template: str, language: str, key: str, context: dict[str, str]) -> bool:
        return await self.deliver(self.notice_request(recipient, template, language, key, context))

    async def deliver(self, notice: NotificationRequest) -> bool:
        """A notice into the outbox on its own (not with a move's commit)."""
        return await self.effect(SEND_NOTIFICATION, notice, notice_label(notice))

    def notice_request(
        self, recipient: str, template: str, language: str, key: str, context: dict[str, str]
    ) -> NotificationRequest:
        number = workflow.info().workflow_id
        return NotificationRequest(number, f"{number}:{template}:{key}", recipient, template, language, context)

    async def effect(self, activity: str, arg: Any, label: str) -> bool:
        """Run a side effect that must not stop the case: transient failures retry without limit;
        one that fails for good is recorded for an operator to retry after a fix."""
        try:
            await self.call(activity, arg, None)
        except ActivityError as err:
            self.fail_effect(activity, arg, label, _failure_message(err))
            return False
        return True

    def fail_effect(self, activity: str, arg: Any, label: str, message: str) -> None:
        self.trail.failed_effects.append(FailedEffect(activity, arg, workflow.now().isoformat(), message[:1000], label))
        self.note("side_effect_failed", f"{label}: {message}")
        workflow.logger.error("case %s: %s failed: %s", workflow.info().workflow_id, label, message[:300])
        self.upsert_search_attributes()

    def case_status(self, **fields: Any) -> CaseStatus:
        """The `status` query's answer: what every kind shows, plus the kind's own `fields`."""
        t = self.trail
        return CaseStatus(
            reg_number=workflow.info().workflow_id,
            kind=self.table.kind,
            state=self.case.state,
            executor=self.case.executor,
            closure_reason=t.closure_reason,
            history=list(t.history),
            refusals=list(t.refusals),
            timeline=list(t.timeline),
            refusals_dropped=t.refusals_dropped,
            timeline_dropped=t.timeline_dropped,
            failed_effects=[f"{e.at} {e.label}: {e.message}" for e in t.failed_effects],
            outside_interventions=list(t.outside_interventions),
            table_version=t.table_version,
            runs=t.runs,
            **fields,
        )

    # ---- the case card on the workflow's page in the Web UI ----
    def refresh_card(self) -> None:
        """Show the case card as the workflow's current details (Web UI: the workflow's page). Not
        part of the history's commands: cases recorded before it replay unchanged."""
        if self.trail.rules is None:
            return  # not registered (a refused start)
        card = render_card(self.card_facts())
        if card != self.shown_card:
            workflow.set_current_details(card)
            self.shown_card = card

    def card_facts(self) -> CardFacts:
        """What every kind's card shows; a kind adds its term (`card_term`) and lines (`card_lines`)."""
        rules = self.rules_()
        term, due_at, term_days = self.card_term()
        lines = self.card_lines()
        if self.trail.failed_effects:
            lines.append(("attention", str(len(self.trail.failed_effects))))
        for intervention in self.trail.outside_interventions[-3:]:
            lines.append(("outside", intervention))
        return CardFacts(
            kind=self.table.kind,
            number=workflow.info().workflow_id,
            state=self.case.state,
            language=rules.staff_language,
            now=workflow.now(),
            utc_offset_minutes=rules.utc_offset_minutes,
            term=term,
            term_days=term_days,
            due_at=due_at,
            executor=self.case.executor,
            last_move=self.trail.history[-1] if self.trail.history else None,
            facts=lines,
            moves=self.allowed_moves(),
        )

    def card_term(self) -> tuple[str, str, list[str]]:
        """The term the card counts down: its date, the moment it ends (UTC ISO) and its working
        days (ISO dates); none by default (a reception has its slot instead)."""
        return "", "", []

    def card_lines(self) -> list[tuple[str, str]]:
        """The kind's own lines on the card: (label in workflows/case_card.py, value)."""
        return []

    def allowed_moves(self) -> list[AllowedMove]:
        """Operator moves the table allows from the current state, with the roles that may make
        them (permissions policy) and a payload to start from. Conditions that read the payload
        are checked when the move is sent."""
        permissions = self.permissions
        if permissions is None:
            return []
        moves = []
        for trigger in self.table.operator_triggers():
            roles = permissions.roles_for(trigger)
            if roles and self.case.state in self.table.sources(trigger) and self.offers(trigger):
                moves.append(AllowedMove(trigger, roles, self.example_payload(trigger)))
        return moves

    def offers(self, trigger: str) -> bool:
        """Whether the card offers an allowed trigger now (a kind hides moves that cannot apply)."""
        return trigger != "retry_side_effects" or bool(self.trail.failed_effects)

    def example_payload(self, trigger: str) -> dict[str, Any]:
        return bound_example(workflow.info().workflow_id, trigger, copy.deepcopy(self.TABLES.examples.get(trigger, {})))

    def case_kind(self) -> str:
        """The kind operators filter by (CaseKind)."""
        return self.table.kind

    def upsert_search_attributes(self) -> None:
        if self.trail.rules is None:
            return  # not registered yet: the first upsert comes with registration
        workflow.upsert_search_attributes(
            [
                sa.CASE_KIND.value_set(self.case_kind()),
                sa.CASE_STATE.value_set(self.case.state),
                sa.CASE_ATTENTION.value_set(bool(self.trail.failed_effects or self.trail.outside_interventions)),
                *self.search_attribute_updates(),
            ]
        )

    def search_attribute_updates(self) -> list[SearchAttributeUpdate[Any]]:
        """The kind's own search attributes (kind, state and attention are set by the base)."""
        raise NotImplementedError

    def card(self) -> CaseCard:
        raise NotImplementedError

    def rules_(self) -> ControlRules:
        assert self.trail.rules is not None, "policies are loaded at the start of run"
        return self.trail.rules

    def rules_or_default(self) -> ControlRules:
        return self.trail.rules or _DEFAULT_LIMITS

    # ---- activities ----
    async def call(self, name: str, arg: Any, result_type: type | None = None) -> Any:
        """Run one of our activities. They are all short and idempotent (a registry write or read,
        a policy or calendar look-up, a notice into the outbox), so they run as local activities:
        in the workflow task that asked for them, recorded as one marker each, with no round trip
        through the server's task queues (issue 11). Runs whose history began with server-side
        activities keep them until they hand over to a new run."""
        if self.reset_run():
            await self.park()  # a reset run makes no side effect (issue 20)
        if self.local_effects():
            self.local_effects_task = self.history_length()  # the workflow task it runs in
            try:
                return await workflow.execute_local_activity(
                    name,
                    arg,
                    result_type=result_type,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                )
            except ApplicationError as err:
                # A local activity's failure arrives bare; callers handle activity failures one
                # way, whichever kind ran (the cause is what the activity raised).
                raise ActivityError(
                    "Local activity failed",
                    scheduled_event_id=0,
                    started_event_id=0,
                    identity="",
                    activity_type=name,
                    activity_id="",
                    retry_state=RetryState.NON_RETRYABLE_FAILURE,
                ) from err
        return await workflow.execute_activity(
            name, arg, result_type=result_type, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )

    def local_effects(self) -> bool:
        """Our activities run as local activities (runs whose history began before keep
        server-side ones)."""
        return workflow.patched("local-effects")

    async def let_messages_in(self) -> bool:
        """Before the run closes or hands over: if this workflow task ran local activities, end it
        first (a 1 ms timer). Signals and Updates that arrived while they ran then come in with
        the next task, instead of the server refusing a close command that ignores them
        (UNHANDLED_COMMAND, a failed workflow task). True when it waited."""
        if self.local_effects_task != self.history_length():
            return False
        await workflow.sleep(timedelta(milliseconds=1))
        return True


# Caps before the policies are loaded (a case that is still registering): the policy's defaults.
_DEFAULT_LIMITS = ControlRules(0, 0, 0, 0, [], 0, 0, "ru")


def notice_label(notice: NotificationRequest) -> str:
    """How a notice is named in failures and the timeline: its template, no personal data."""
    return f"notice {notice.template}"


def _trim(items: list[Any], keep: int) -> int:
    """Drop the oldest entries beyond `keep`; return how many were dropped."""
    extra = len(items) - max(keep, 1)
    if extra > 0:
        del items[:extra]
        return extra
    return 0


def _failure_message(err: BaseException) -> str:
    """The innermost cause's message (an activity's own error, not 'Activity task failed')."""
    while isinstance(err, ActivityError) and err.cause is not None:
        err = err.cause
    return str(err)[:500] or type(err).__name__
