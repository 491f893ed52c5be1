"""A personal reception as booked: one dataclass, validated like an appeal."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from models.appeal import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    Applicant,
    Contacts,
    parse_applicant,
    parse_contacts,
    parse_received_at,
)
from models.errors import InputError
from models.fields import choice_field, input_object, text_field
from models.schema import parse_object, rule
from models.slots import InstructionSpec

FORMATS = ("office", "visiting", "videoconference")
RECEPTION_NUMBER = re.compile(r"^[A-ZА-ЯӘҒҚҢӨҰҮҺІ]{2,4}-\d{4}-\d{6,8}$")
MAX_INSTRUCTIONS = 20


@dataclass
class ReceptionInput:
    reg_number: str
    citizen: Applicant
    contacts: Contacts
    language: str
    issue: str
    category: str
    district: str
    requested_official: str
    format: str
    received_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_reception(raw: Any) -> ReceptionInput:
    """Check a booking request; raise InputError naming the first field that breaks a rule."""
    raw, number = input_object(raw, "reception", RECEPTION_NUMBER, "RCP-2026-000042")
    citizen = parse_applicant(raw.get("citizen"))
    if citizen.kind == "anonymous":
        raise InputError("citizen.kind", "a reception is booked by preliminary registration: name and IIN/BIN needed")
    contacts = parse_contacts(raw.get("contacts"))
    if not (contacts.email or contacts.phone):
        raise InputError("contacts", "an e-mail or a phone is needed to confirm the booking")
    received = text_field(raw, "received_at")
    parse_received_at(received)
    return ReceptionInput(
        reg_number=number,
        citizen=citizen,
        contacts=contacts,
        language=choice_field(raw, "language", LANGUAGES),
        issue=text_field(raw, "issue", limit=MAX_TEXT_CHARS),
        category=text_field(raw, "category"),
        district=text_field(raw, "district"),
        requested_official=text_field(raw, "requested_official"),
        format=choice_field(raw, "format", FORMATS),
        received_at=received,
    )


@dataclass
class HoldDetails:
    """`hold`'s details: the instructions the official gives at the reception."""

    instructions: list[InstructionSpec] = rule(default_factory=list, items=MAX_INSTRUCTIONS)


@dataclass
class SlotDetails:
    """`schedule` and `reschedule`'s details: who else attends, and a videoconference link."""

    participants: list[str] = rule(default_factory=list, items=20, limit=200, required=True)
    link: str = rule(default="", limit=500, pattern=r"https?://\S+")


@dataclass
class SlotBooking:
    """`schedule` and `reschedule` (table v2, issue 22): the slot (`reception slots --free`), who
    else attends, and a videoconference link; a client that still sends `target` is read the same."""

    slot_id: int = rule(min=1, max=10**9, fills="target")
    participants: list[str] = rule(default_factory=list, items=20, limit=200, required=True)
    link: str = rule(default="", limit=500, pattern=r"https?://\S+")


@dataclass
class SlotChoice:
    """`schedule` and `reschedule` (table v3, issue 23): a slot chosen by number, or none for the
    official's earliest free slot (what a registrar usually wants, and what an example given
    without a number books as typed); who else attends, and a videoconference link."""

    slot_id: int = rule(default=0, min=0, max=10**9, fills="target")  # 0: the earliest free slot
    participants: list[str] = rule(default_factory=list, items=20, limit=200, required=True)
    link: str = rule(default="", limit=500, pattern=r"https?://\S+")


def parse_instructions(raw: Any) -> list[InstructionSpec]:
    """The `instructions` of a `hold` move: a list of {executor, text, term_working_days}."""
    return parse_object(HoldDetails, {"instructions": raw}, "details").instructions
