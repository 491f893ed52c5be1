"""Moves between states, as requested by operators and as recorded: shared by every workflow kind."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.errors import InputError
from models.fields import text_field

MAX_REASON_CHARS = 2_000
MAX_ANSWER_CHARS = 50_000
MAX_DETAILS_CHARS = 200_000
ANSWER_CHARACTERS = ("explained", "satisfied", "refused")  # APPC: character of the answer


@dataclass
class Actor:
    id: str
    role: str


@dataclass
class MoveRequest:
    """One operator request: a trigger, who asks, and the trigger's own fields."""

    trigger: str
    actor: Actor
    reason: str = ""
    target: str = ""  # executor (route, reassign) or receiving body (forward)
    answer_text: str = ""
    answer_character: str = ""
    new_deadline: str = ""  # ISO date, for extend_deadline
    details: dict[str, Any] = field(default_factory=dict)  # a kind's own fields (slot, instructions)


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
    actor_id = text_field(raw, "id", required=False, limit=100)
    role = text_field(raw, "role", required=False, limit=50)
    if not actor_id:
        raise InputError("actor.id", "is required")
    if not role:
        raise InputError("actor.role", "is required")
    return Actor(id=actor_id, role=role)


def parse_move(raw: Any, trigger: str | None = None) -> MoveRequest:
    """Read a signal or update payload (JSON object, possibly missing) into a MoveRequest.

    `trigger` is given when the signal's name is the trigger; otherwise the payload names it.
    """
    if isinstance(raw, MoveRequest):
        raw = {
            "trigger": raw.trigger,
            "actor": raw.actor,
            "reason": raw.reason,
            "target": raw.target,
            "answer_text": raw.answer_text,
            "answer_character": raw.answer_character,
            "new_deadline": raw.new_deadline,
            "details": raw.details,
        }
    if raw is None:
        raise InputError("payload", 'is empty; send a JSON object such as {"actor": {"id": "u1", "role": "registrar"}}')
    if not isinstance(raw, dict):
        raise InputError("payload", f"must be a JSON object, got {type(raw).__name__}")
    name = trigger or text_field(raw, "trigger", required=False, limit=64)
    if not name:
        raise InputError("trigger", "is required")
    if trigger and raw.get("trigger") not in (None, "", trigger):
        raise InputError("trigger", f"payload names {raw.get('trigger')!r} but the signal is {trigger!r}")
    move = MoveRequest(
        trigger=name,
        actor=parse_actor(raw.get("actor")),
        reason=text_field(raw, "reason", required=False, limit=MAX_REASON_CHARS),
        target=text_field(raw, "target", required=False, limit=100),
        answer_text=text_field(raw, "answer_text", required=False, limit=MAX_ANSWER_CHARS),
        answer_character=text_field(raw, "answer_character", required=False, limit=20),
        new_deadline=text_field(raw, "new_deadline", required=False, limit=10),
    )
    details = raw.get("details")
    if details is not None:
        if not isinstance(details, dict):
            raise InputError("details", f"must be a JSON object, got {type(details).__name__}")
        if len(json.dumps(details, ensure_ascii=False, default=str)) > MAX_DETAILS_CHARS:
            raise InputError("details", f"is too large (limit {MAX_DETAILS_CHARS} characters as JSON)")
        move.details = details
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
