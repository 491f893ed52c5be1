"""Sealed moves: who made a move is proven, not declared.

Whoever holds the codec key (the codec server, which authenticates the operator; the worker; a
CLI on the embedded default after logging in) puts the authenticated actor and the time into
the move, under the same AES-GCM encryption as the payload: `seal`. The worker's codec marks
every payload it decrypted (`runtime.payloads.SEALED`) and strips that mark from anything that arrived
unencrypted, and the payload converter replaces a `seal` that did not come out of the
encryption with `UNSEALED`, which the move parser refuses. So a client without the key (the
bare `temporal` CLI, a stranger) cannot make a move count, whatever actor it claims.

A seal is signed (Ed25519) by a key only the sealers hold, and the worker verifies it with the public
key (runtime/signing.py): the data key alone no longer makes a seal. A seal is good for one move
on one case, once (issue 20): it names the namespace, the case and
the trigger (or, for a registration, the number and `register`), a digest of the fields and a
nonce, and the case checks them all (`workflows/controlled.py`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models.moves import REGISTER, move_digest
from runtime.clock import utc_now
from runtime.signing import current_signer


@dataclass(frozen=True)
class Identity:
    """An authenticated user as the seal names them."""

    id: str
    name: str
    roles: list[str] = field(default_factory=list)
    unit: str = ""  # an executor's department: own-only roles act on the unit's cases

    def role_for(self, claimed: str) -> str:
        """The role a move is made in: the claimed one if the user holds it, else the only one."""
        if claimed:
            if claimed not in self.roles:
                raise PermissionError(f"{self.id} does not hold the role {claimed!r} (roles: {', '.join(self.roles)})")
            return claimed
        if len(self.roles) != 1:
            raise PermissionError(f"{self.id} holds several roles: set actor.role to one of {', '.join(self.roles)}")
        return self.roles[0]


def _seal(
    who: Identity, role: str, method: str, now: datetime | None, case: str, message: str, digest: str, namespace: str
) -> dict[str, Any]:
    """Who, when, and the one use on one case the seal is good for (a fresh nonce), signed with this
    host's signing key (runtime/signing.py; unsigned on a host that seals through the codec server,
    which seals it again)."""
    seal: dict[str, Any] = {
        "id": who.id,
        "name": who.name,
        "role": role,
        "unit": who.unit,
        "method": method,
        "issued_at": (now or utc_now()).astimezone(UTC).isoformat(),
        "case": case,
        "message": message,
        "digest": digest,
        "nonce": secrets.token_hex(16),
        "namespace": namespace,
    }
    signer = current_signer()
    return signer.sign(seal) if signer is not None else seal


class SealError(ValueError):
    """A payload that cannot be sealed as it is (it does not name its case or trigger)."""


def seal_move(
    payload: dict[str, Any],
    who: Identity,
    method: str,
    now: datetime | None = None,
    *,
    case: str | None = None,
    trigger: str | None = None,
    namespace: str = "default",
) -> dict[str, Any]:
    """The move with its actor set to `who` and sealed for one use on one case: the seal names the
    namespace, the case and trigger the move names (or `case` and `trigger`, set into it), a digest
    of its fields and a fresh nonce. Refuses (PermissionError) a payload that claims another person
    or a role `who` does not hold, and (SealError) one that does not name its case and trigger."""
    body = dict(payload)
    if case is not None:
        body["case"] = case
    if trigger is not None:
        body["trigger"] = trigger
    for name, example in (("case", "APL-2026-000042"), ("trigger", "accept")):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise SealError(
                f'{name}: a move names its {name} to be sealed, e.g. "{name}": "{example}"'
                " (the case card's payloads have it)"
            )
    claimed = body.get("actor")
    claimed = claimed if isinstance(claimed, dict) else {}
    if claimed.get("id") not in (None, "", who.id):
        raise PermissionError(f"you are {who.id}; a move cannot be made as {str(claimed.get('id'))[:100]!r}")
    role = who.role_for(str(claimed.get("role") or ""))
    seal = _seal(who, role, method, now, str(body["case"]), str(body["trigger"]), move_digest(body), namespace)
    return {**body, "actor": {"id": who.id, "role": role}, "seal": seal}


def seal_registration(
    arg: dict[str, Any],
    who: Identity,
    method: str,
    now: datetime | None = None,
    *,
    namespace: str = "default",
    roles: list[str] | None = None,
) -> dict[str, Any]:
    """A case's input sealed as registered by `who` (issue 20: a start counts only when sealed): the
    seal names the number the input names (the workflow id), the namespace, a digest of the whole
    input and a nonce. Refuses (PermissionError) someone who holds none of the registering roles
    (policies/registration.yaml), and (SealError) an input that names no number."""
    from policies.permissions import registering_roles  # policy files: read when a registration is sealed

    allowed = roles if roles is not None else registering_roles()
    role = next((r for r in who.roles if r in allowed), None)
    if role is None:
        raise PermissionError(
            f"{who.id} may not register cases (roles: {', '.join(who.roles) or 'none'};"
            f" registering is for: {', '.join(allowed)})"
        )
    body = {k: v for k, v in arg.items() if k != "seal"}
    number = body.get("reg_number")
    if not isinstance(number, str) or not number.strip():
        raise SealError('reg_number: a registration names its number, e.g. "reg_number": "APL-2026-000042"')
    seal = _seal(who, role, method, now, number, REGISTER, move_digest(body, ("seal",)), namespace)
    return {**body, "seal": seal}


def staff(actor_id: str, role: str) -> Identity:
    """A staff member as a key holder vouches for them (demo seeding, benchmarks, tests): the id
    is also the unit (an executor's id is its department) and the only role is `role`."""
    return Identity(id=actor_id, name=actor_id, roles=[role], unit=actor_id)


def seal_as_named(
    payload: dict[str, Any],
    method: str = "cli",
    now: datetime | None = None,
    *,
    case: str | None = None,
    trigger: str | None = None,
) -> dict[str, Any]:
    """`payload` sealed for the actor it names: only for a key holder acting for known staff."""
    actor = payload.get("actor")
    named: dict[str, Any] = actor if isinstance(actor, dict) else {}
    who = staff(str(named.get("id", "")), str(named.get("role", "")))
    return seal_move(payload, who, method, now, case=case, trigger=trigger)
