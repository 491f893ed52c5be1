"""Moves between states, as requested by operators and as recorded: shared by every workflow kind.

A request is parsed once, at the boundary (signal handler or Update validator), into a
`MoveRequest` whose `details` is the trigger's own typed schema (declared by its table row).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models.errors import InputError
from models.fields import text_field
from models.schema import describe, filled_fields, parse_object
from runtime.payloads import UNSEALED, unreadable_reason

MAX_REASON_CHARS = 2_000
# A move travels as one payload, capped by the server at 256 KiB (temporal-dev.yaml); as sent, a
# Cyrillic character takes 6 bytes (JSON escapes), so an answer of 30,000 characters still fits.
MAX_ANSWER_CHARS = 30_000
MAX_MOVE_BYTES = 200_000
# APPC: character of the answer; refused and partially_satisfied are adverse (art. 73 hearing).
ANSWER_CHARACTERS = ("explained", "satisfied", "partially_satisfied", "refused")
MOVE_FIELDS = (
    "trigger",
    "actor",
    "reason",
    "target",
    "answer_text",
    "answer_character",
    "new_deadline",
    "details",
    "seal",
    "case",  # the case the move is for: a seal binds it (issue 20)
)
# Who sealed (the actor), and what the seal is good for: one move (its trigger and a digest of its
# fields) on one case in one namespace, once (the nonce). Seals made before issue 20 lack the latter.
BINDING_FIELDS = ("case", "message", "digest", "nonce", "namespace")
SIGNATURE_FIELDS = ("kid", "sig", "verified")  # the signer's key id, its signature, the key id it verified with
SEAL_FIELDS = ("id", "name", "role", "unit", "method", "issued_at", *BINDING_FIELDS, *SIGNATURE_FIELDS)
UNSIGNED_FIELDS = ("actor", "seal")  # what a move's digest leaves out: the sealer sets both
REGISTER = "register"  # the message a registration's seal names (a start, not a move)
AUTH_METHODS = ("ui_session", "oidc", "cli", "test", "api_key")  # api_key: a channel of the intake (issue 25)


@dataclass
class Actor:
    id: str
    role: str
    name: str = ""  # display name of an authenticated user
    unit: str = ""  # the user's unit (an executor's department): own-only roles act for it
    method: str = ""  # how the user authenticated (AUTH_METHODS); "" = self-declared, not proven


@dataclass
class MoveRequest:
    """One request: a trigger, who asks, the trigger's fields, and its typed `details` (or None)."""

    trigger: str
    actor: Actor
    reason: str = ""
    target: str = ""  # executor (route, reassign), receiving body (forward), slot, proposal key
    answer_text: str = ""
    answer_character: str = ""
    new_deadline: str = ""  # ISO date (extend_deadline, request_extension, a verification date)
    details: Any = None  # an instance of the trigger's details schema
    sealed_at: str = ""  # when the codec server sealed the actor into the move ("" = not sealed)
    binding: SealBinding | None = None  # what the seal is good for (None: unsealed, or an older seal)
    digest: str = ""  # the digest of the move's fields as received (compared with the seal's)
    signed_by: str = ""  # the key id the seal's signature verified with ("" = unsigned or forged)


@dataclass
class SealBinding:
    """The one move on one case a seal is good for, once."""

    case: str
    message: str  # the trigger
    digest: str  # move_digest of the fields sealed
    nonce: str
    namespace: str


def move_digest(raw: dict[str, Any], unsigned: tuple[str, ...] = UNSIGNED_FIELDS) -> str:
    """SHA-256 of a move's fields in canonical JSON, leaving out the actor and the seal (the sealer
    sets both): what a seal covers, so a sealed move cannot be altered or made another move. A
    registration's digest leaves out only its seal."""
    body = {k: v for k, v in raw.items() if k not in unsigned}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class MoveRecord:
    """An accepted move as it appears in a workflow's history (who, what, when, from, to)."""

    seq: int
    trigger: str
    actor_id: str
    actor_role: str
    from_state: str
    to_state: str
    at: str
    reason: str = ""
    detail: dict[str, str] = field(default_factory=dict)
    actor_name: str = ""  # the authenticated user's display name
    auth: str = ""  # how the actor was authenticated ("" = self-declared, before sealed moves)


@dataclass
class Refusal:
    """A refused move, kept in the workflow's state (it changes nothing else)."""

    trigger: str
    actor_id: str
    actor_role: str
    state: str
    at: str
    message: str


def parse_actor(raw: Any) -> Actor:
    if isinstance(raw, Actor):
        raw = {"id": raw.id, "role": raw.role}
    if not isinstance(raw, dict):
        raise InputError("actor", 'is required: {"id": "...", "role": "..."}')
    extra = [str(k)[:40] for k in raw if k not in ("id", "role")]
    if extra:
        raise InputError(f"actor.{extra[0]}", "is not a field here (fields: id, role)")
    actor_id = text_field(raw, "id", "actor.", required=False, limit=100)
    role = text_field(raw, "role", "actor.", required=False, limit=50)
    if not actor_id:
        raise InputError("actor.id", "is required")
    if not role:
        raise InputError("actor.role", "is required")
    return Actor(id=actor_id, role=role)


def parse_seal(raw: Any) -> Actor:
    """The authenticated actor the codec server sealed into the move (inside the encryption)."""
    if raw == UNSEALED:
        raise InputError("seal", "was not sealed by the codec server (it arrived unencrypted)")
    if not isinstance(raw, dict) or any(k not in SEAL_FIELDS for k in raw):
        raise InputError("seal", f"must be an object with {', '.join(SEAL_FIELDS)}")
    values = {k: text_field(raw, k, "seal.", required=k in ("id", "role", "method", "issued_at")) for k in SEAL_FIELDS}
    if values["method"] not in AUTH_METHODS:
        raise InputError("seal.method", f"unknown method {values['method']!r}")
    try:
        datetime.fromisoformat(values["issued_at"])
    except ValueError:
        raise InputError("seal.issued_at", "not an ISO date-time") from None
    return Actor(values["id"], values["role"], values["name"], values["unit"], values["method"])


def parse_binding(raw: dict[str, Any]) -> SealBinding | None:
    """The seal's binding (a seal already read by parse_seal); None for a seal made before them."""
    if not any(raw.get(k) for k in BINDING_FIELDS):
        return None
    values = {k: text_field(raw, k, "seal.", required=True, limit=200) for k in BINDING_FIELDS}
    return SealBinding(**values)


DetailsSchema = Callable[[str], "type | None"]


def _with_flat_fields(raw: dict[str, Any], details: Any, filled: dict[str, str], schema: type) -> Any:
    """The details with the flat fields an older client sent (`target`, `new_deadline`) put where
    the trigger's schema names them; both given and different is refused."""
    if details is not None and not isinstance(details, dict):
        return details  # parse_object names the error
    merged = dict(details or {})
    kinds = {f.name: f.type for f in dataclasses.fields(schema)}
    for field_name, flat in filled.items():
        given = raw.get(flat)
        if given in (None, ""):
            continue
        if kinds[field_name] in (int, "int") and isinstance(given, str) and given.strip().isdigit():
            given = int(given)
        if field_name in merged and merged[field_name] != given:
            raise InputError(
                flat, f"says {str(given)[:40]!r} but details.{field_name} says {str(merged[field_name])[:40]!r}"
            )
        merged[field_name] = given
    return merged


def parse_move(raw: Any, trigger: str | None = None, details_schema: DetailsSchema | None = None) -> MoveRequest:
    """Read a signal or Update payload into a MoveRequest, or raise InputError naming the field.

    `trigger` is given when the signal's name is the trigger; otherwise the payload names it.
    `details_schema(trigger)` is the trigger's details schema (None: the trigger takes no details).
    """
    reason = unreadable_reason(raw)
    if reason:
        raise InputError("payload", reason)
    if raw is None:
        raise InputError("payload", 'is empty; send a JSON object such as {"actor": {"id": "u1", "role": "registrar"}}')
    if not isinstance(raw, dict):
        raise InputError("payload", f"must be a JSON object, got {describe(raw)}")
    size = len(json.dumps(raw, default=str))
    if size > MAX_MOVE_BYTES:
        raise InputError(
            "payload", f"is too large ({size // 1000} KB as sent; a move is at most {MAX_MOVE_BYTES // 1000} KB)"
        )
    for key in raw:
        if key not in MOVE_FIELDS:
            raise InputError(f"{str(key)[:40]}", f"is not a field of a move (fields: {', '.join(MOVE_FIELDS)})")
    name = trigger or text_field(raw, "trigger", required=False, limit=64)
    if not name:
        raise InputError("trigger", "is required")
    if trigger and raw.get("trigger") not in (None, "", trigger):
        raise InputError("trigger", f"payload names {str(raw.get('trigger'))[:64]!r} but the signal is {trigger!r}")
    sealed: Actor | None = parse_seal(raw["seal"]) if "seal" in raw else None
    if sealed is not None:
        claimed = raw.get("actor")
        if claimed is not None:
            said = parse_actor(claimed)
            if (said.id, said.role) != (sealed.id, sealed.role):
                raise InputError(
                    "actor", f"says {said.id}/{said.role}, but the move was sealed for {sealed.id}/{sealed.role}"
                )
    move = MoveRequest(
        trigger=name,
        actor=sealed or parse_actor(raw.get("actor")),
        reason=text_field(raw, "reason", required=False, limit=MAX_REASON_CHARS),
        target=text_field(raw, "target", required=False, limit=100),
        answer_text=text_field(raw, "answer_text", required=False, limit=MAX_ANSWER_CHARS),
        answer_character=text_field(raw, "answer_character", required=False, limit=20),
        new_deadline=text_field(raw, "new_deadline", required=False, limit=10),
    )
    if sealed is not None:
        move.sealed_at = str(raw["seal"]["issued_at"])
        move.binding = parse_binding(raw["seal"])
        move.digest = move_digest(raw)
        move.signed_by = str(raw["seal"].get("verified") or "")
    case = raw.get("case")
    if case is not None and not isinstance(case, str):
        raise InputError("case", f"must be the case's number as text, got {describe(case)}")
    schema = details_schema(name) if details_schema else None
    details = raw.get("details")
    if schema is not None:
        filled = filled_fields(schema)
        if filled:
            details = _with_flat_fields(raw, details, filled, schema)
        move.details = parse_object(schema, details, "details")
        for field_name, flat in filled.items():  # the handlers and conditions read the move's field
            value = getattr(move.details, field_name)
            setattr(move, flat, str(value) if value not in ("", 0, None) else "")
    elif details not in (None, {}):
        raise InputError("details", f"{name!r} takes no details")
    if move.answer_character and move.answer_character not in ANSWER_CHARACTERS:
        raise InputError(
            "answer_character", f"unknown value {move.answer_character!r}; allowed: {', '.join(ANSWER_CHARACTERS)}"
        )
    if move.new_deadline:
        try:
            date.fromisoformat(move.new_deadline)
        except ValueError:
            raise InputError("new_deadline", f"not an ISO date (YYYY-MM-DD): {move.new_deadline!r}") from None
    return move
