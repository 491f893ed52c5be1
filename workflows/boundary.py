"""The case's boundary: every operator request, from a signal or the `transition` Update, is parsed
here into a typed move, its seal checked, and put into the one inbox the main loop drains in
order; whatever a client sends is refused and recorded, never raised into a task."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RawValue

from models.case_status import CaseStatus
from models.errors import InputError
from models.moves import MoveRequest, parse_move
from runtime.failures import Reason, invalid, refused
from workflows.case_host import CaseT, InputT
from workflows.outside import RESET_REFUSAL
from workflows.registration import Registration


def trigger_signal(trigger: str, description: str) -> Callable[..., None]:
    """A signal named after a trigger, so operators can send it from the Web UI's Signal dialog.

    It takes any number of untyped arguments, so that a missing, extra, undecryptable or
    malformed payload reaches `receive_signal` and is refused and recorded there.
    """

    def handler(self: Boundary[Any, Any], *args: Any) -> None:
        self.receive_signal(trigger, args)

    handler.__name__ = f"signal_{trigger}"
    return workflow.signal(name=trigger, description=description)(handler)


def claimed_actor(raw: Any) -> tuple[str, str]:
    """Who a refused payload says it came from, for the record (never trusted for anything else)."""
    actor = raw.get("actor") if isinstance(raw, dict) else None
    if not isinstance(actor, dict):
        return "", ""
    ident, role = actor.get("id"), actor.get("role")
    return (ident[:100] if isinstance(ident, str) else ""), (role[:50] if isinstance(role, str) else "")


class Boundary(Registration[InputT, CaseT]):
    # Messages between our own workflows: handled by the dynamic signal handler, so they are not
    # offered in the Web UI's list; their content is never trusted (a kind re-reads the facts).
    INTERNAL_SIGNALS: ClassVar[dict[str, str]] = {}

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
        try:
            values = workflow.payload_converter().from_payloads([a.payload for a in args])
        except Exception as err:  # a forged or garbled payload: refused, never a failed task
            self.record_refusal(name[:64], "", "", f"payload cannot be read: {type(err).__name__}")
            return
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
            raise invalid(Reason(str(err), "invalid_field", field=err.field, rule=err.rule)) from None
        # Validators run only when an Update arrives, never in a replay: the seal is always required,
        # bound to this case and move.
        unauthenticated = self.seal_gate().move_refusal(move, bound=True, signed=True)
        if unauthenticated:
            raise refused(Reason(unauthenticated, "not_authenticated"))
        if not self.ready:
            return  # the handler waits for registration and checks again
        refusal = self.check(move)
        if refusal:
            raise refused(refusal)

    # ---- seals: which version of the rule a history runs under ----
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
        gate = self.seal_gate()
        refusal = gate.move_refusal(move, bound=bound, signed=signed)
        if refusal is None and bound and move.binding is not None:
            gate.use(move.binding.nonce, move.sealed_at)
        return refusal
