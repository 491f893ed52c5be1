"""Whether a seal makes a move (or a registration) count: the case's gate, as plain code.

A seal is good for one move on one case, once, while fresh, and only when signed by a sealer's
key (issues 10 and 20). `SealGate` reads what the workflow knows (its case, namespace, clock, the
policy's seal age and the nonces already used) and answers with a refusal or None; it does no I/O
and calls no Temporal API, so the rules are tested without a server (tests/test_seal_gate.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.errors import InputError
from models.moves import REGISTER, MoveRequest, SealBinding, parse_binding, parse_seal
from runtime.payloads import UNSEALED

NOT_AUTHENTICATED = "move not authenticated: send it from the Web UI or the CLI after logging in"
NOT_SIGNED = (
    "move not authenticated: its seal is not signed by a sealer's key (the data key alone does not make a seal);"
    " send it from the Web UI or the CLI after logging in"
)
SEAL_CLOCK_SKEW_SECONDS = 60  # the codec server's clock may run this far ahead of the server's
ANOTHER_MOVE = "seal made for another case or move"
OTHER_FIELDS = "was made for other fields"  # a seal's digest differs from the fields received


@dataclass
class SealGate:
    case: str  # the workflow id
    namespace: str
    now: datetime
    max_age_seconds: int
    nonces: dict[str, str]  # nonce -> until when its seal could still be used (the case's trail)

    def move_refusal(self, move: MoveRequest, *, bound: bool, signed: bool = False) -> str | None:
        """Why an operator move does not count as made by an authenticated user (None: it does)."""
        if not move.sealed_at:
            return NOT_AUTHENTICATED
        if signed and not move.signed_by:
            return NOT_SIGNED
        stale = self.age_problem(move.sealed_at)
        if stale:
            again = "; send it again" if stale.startswith("older") else ""
            return f"move not authenticated: its seal ({move.sealed_at[:19]}) is {stale}{again}"
        return self.binding_refusal(move) if bound else None

    def binding_refusal(self, move: MoveRequest) -> str | None:
        """Why the seal is not good for this move on this case now (None: it is)."""
        seal = move.binding
        if seal is None:
            return "move not authenticated: its seal names no case and move (an older codec server?); send it again"
        mismatch = self.mismatch(seal, move.trigger, move.digest)
        if mismatch == OTHER_FIELDS:
            why = "the move's fields are not the ones sealed"
        elif mismatch:
            why = f"it {mismatch}"
        elif seal.nonce in self.nonces:
            why = "it was already used"
        else:
            return None
        return f"{ANOTHER_MOVE}: {why} (sealed for {move.actor.id} by {move.actor.method or 'a key holder'})"

    def registration_refusal(self, seal: Any, digest: str, *, signed: Callable[[], bool]) -> str | None:
        """Why a start's seal does not register a case (None: it does). `signed` says whether a
        signature is required; it is asked only of an unsigned seal (a workflow's patch marker)."""
        if seal is None or seal == UNSEALED:
            return "not sealed by a registrar; register from the Web UI or the CLI after logging in"
        try:
            parse_seal(seal)
            binding = parse_binding(seal)
        except InputError as err:
            return str(err)
        if not seal.get("verified") and signed():
            return NOT_SIGNED.removeprefix("move not authenticated: ")
        if binding is None or binding.message != REGISTER:
            return "the seal is not a registration's"
        mismatch = self.mismatch(binding, REGISTER, digest)
        if mismatch:
            return "the input is not the one sealed" if mismatch == OTHER_FIELDS else f"the seal {mismatch}"
        stale = self.age_problem(str(seal["issued_at"]))
        return f"the seal is {stale}; register again" if stale else None

    def age_problem(self, issued_at: str) -> str | None:
        """What is wrong with a seal's age (None: it is fresh)."""
        age = self.now - datetime.fromisoformat(issued_at)
        if age > timedelta(seconds=self.max_age_seconds):
            return f"older than {self.max_age_seconds} s"
        if age < -timedelta(seconds=SEAL_CLOCK_SKEW_SECONDS):
            return "dated in the future"
        return None

    def mismatch(self, seal: SealBinding, message: str, digest: str) -> str | None:
        """How a seal is for another case, namespace, message or fields than this one (None: it is
        for these); `OTHER_FIELDS` when only the digest differs."""
        if seal.case != self.case:
            return f"was made for case {seal.case[:40]!r}"
        if seal.namespace != self.namespace:
            return f"was made in namespace {seal.namespace[:40]!r}"
        if seal.message != message:
            return f"was made for {seal.message[:40]!r}, not {message!r}"
        return OTHER_FIELDS if seal.digest != digest else None

    def use(self, nonce: str, issued_at: str) -> None:
        """Keep the nonce while its seal could still be used; forget those that have expired."""
        lifetime = timedelta(seconds=self.max_age_seconds + SEAL_CLOCK_SKEW_SECONDS)
        for old in [n for n, until in self.nonces.items() if datetime.fromisoformat(until) < self.now]:
            del self.nonces[old]
        self.nonces[nonce] = (datetime.fromisoformat(issued_at) + lifetime).isoformat()
