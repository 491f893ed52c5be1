"""Reception slots and the instructions given at a reception, as activities exchange them."""

from __future__ import annotations

from dataclasses import dataclass

from models.schema import rule


@dataclass
class SlotRequest:
    reception: str
    slot_id: int  # 0 (table v3): the earliest free slot of `official` that has not begun
    now: str  # workflow time: a slot in the past cannot be booked
    official: str = ""  # whose earliest free slot (slot_id 0)
    keep: int = 0  # the slot the reception holds now (a reschedule): not its own new booking


@dataclass
class Slot:
    slot_id: int
    official: str
    start: str  # UTC ISO
    end: str
    format: str
    district: str
    place: str
    link: str
    local: str = ""  # the start in local time, as people read it ("2026-12-03 10:00")


@dataclass
class InstructionSpec:
    """One instruction an official gives at a reception (also the schema of `hold`'s details)."""

    executor: str = rule(limit=100, required=True)
    text: str = rule(limit=20_000, required=True)  # models.appeal.MAX_TEXT_CHARS
    term_working_days: int = rule(min=1, max=120)  # models.appeal.MAX_TERM_WORKING_DAYS


@dataclass
class InstructionCheck:
    instructions: list[InstructionSpec]
    max_working_days: int
