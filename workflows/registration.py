"""How a case begins: its start argument read (a new case's input, or a continued run's), the
registration's seal checked, the policies snapshot taken. A start that does not register a case
fails naming why, with nothing written (issue 20)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, cast

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from models.activity_names import CHECK_POLICIES
from models.case_trail import CaseRun, CaseTrail
from models.errors import InputError
from models.moves import Actor, move_digest, parse_seal
from models.policy_snapshot import ControlRules, PolicyRequest, PolicySnapshot
from runtime import search_attributes as sa
from runtime.failures import invalid
from workflows.carry import carried
from workflows.case_host import CaseT, InputT
from workflows.seal_gate import SealGate
from workflows.timer_points import TimerPoints

REFUSED_REGISTRATION = "refused_registration"  # CaseState of a start that did not register a case


def receipt_time(value: str, rules: ControlRules) -> datetime | None:
    """An input's receipt time, aware (a naive one is local time: the zone's offset at registration)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone(timedelta(minutes=rules.utc_offset_minutes)))


class Registration(TimerPoints[InputT, CaseT]):
    input_error: str
    start_seal: Any  # a new case's registration seal, as it came (checked in `run`)
    start_digest: str  # the digest of the input the seal must cover
    registered_by: Actor | None  # who sealed the registration (None: a parent case)

    def start_case(self, raw: Any) -> None:
        """Read the workflow's argument (a new case's input, or a continued run's `CaseRun`) and set
        up the case. Bad input is kept as `input_error`; `run` fails the start with it."""
        self.input_error = ""
        self.input = cast(InputT, None)
        self.start_seal = None
        self.start_digest = ""
        self.registered_by = None
        self.reset_seen = False
        self.moving_ticket = 0
        run: CaseRun | None = None
        try:
            run = self.parse_run(raw)
            self.input = run.input
            if run.input.reg_number != workflow.info().workflow_id:
                raise InputError("reg_number", "must equal the workflow id")
        except InputError as err:
            self.input_error = str(err)
        case = run.case if run and run.case else self.CASE()
        self.setup_control(cast(CaseT, case), run.trail if run else None)

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

    def next_run(self) -> CaseRun:
        """The argument of the next run: the input, the case and the trail."""
        return CaseRun(self.input, self.case, self.trail)

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

    def seal_gate(self) -> SealGate:
        info = workflow.info()
        max_age = self.rules_or_default().seal_max_age_seconds
        return SealGate(info.workflow_id, info.namespace, workflow.now(), max_age, self.trail.seal_nonces)

    def registration_refusal(self) -> str | None:
        """Why this start does not register a case (None: it does). Reads the case only."""
        if workflow.info().parent is not None:
            return None  # started by a case of ours (a reception's instruction): the server says so
        signed = lambda: workflow.patched("signed-seals")  # noqa: E731  (asked of an unsigned seal only)
        return self.seal_gate().registration_refusal(self.start_seal, self.start_digest, signed=signed)

    def refuse_registration(self, message: str) -> None:
        """Mark the start refused (no open-case list shows it), log it, and fail it: no card, no
        notice, no timer. Auditors list refused registrations by `CaseState = 'refused_registration'`."""
        workflow.upsert_search_attributes([sa.CASE_STATE.value_set(REFUSED_REGISTRATION)])
        workflow.logger.warning("%s: %s", workflow.info().workflow_id, message[:300])
        raise invalid(message)

    async def load_policies(self, request: PolicyRequest) -> PolicySnapshot:
        """Snapshot the policies this case runs under; a catalogue refusal fails the start cleanly."""
        try:
            snapshot = await self.call(CHECK_POLICIES, request)
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
        self.trail.names = snapshot.names
        return snapshot
