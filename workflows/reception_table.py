"""The personal reception's states and moves, as a table (seed 6.1-6.6).

registered: preliminary registration; routed: scheduled (slot booked); under_consideration: held,
instructions being executed; returned_for_finalization: an instruction's result was judged poor;
answered: every instruction executed and the citizen answered; closed: with a reason.
`complete`, `instruction_returned` and `instructions_resumed` are made by the workflow itself
from the states of its instructions (no operator role has them).
"""

from __future__ import annotations

from typing import Any

from models.reception import HoldDetails, SlotBooking, SlotChoice, SlotDetails
from workflows.case_machine import RETRY_SIDE_EFFECTS, Table, TableVersions, revised

IN_WORK = ["under_consideration", "returned_for_finalization"]

RECEPTION_TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "schedule",
        "source": "registered",
        "dest": "routed",
        "requires": ["target"],
        "details": SlotDetails,
        "description": "book a slot (target = slot number); details.participants, details.link optional",
    },
    {
        "trigger": "reschedule",
        "source": "routed",
        "dest": None,
        "requires": ["target"],
        "details": SlotDetails,
        "conditions": ["target_is_new_slot"],
        "description": "move to another free slot",
    },
    {
        "trigger": "hold",
        "source": "routed",
        "dest": "under_consideration",
        "requires": ["answer_text"],
        "details": HoldDetails,
        "description": "held: outcome (answer_text) and instructions (details.instructions)",
    },
    {
        "trigger": "instruction_returned",
        "system": True,
        "source": "under_consideration",
        "dest": "returned_for_finalization",
        "conditions": ["an_instruction_returned"],
        "description": "an instruction's result was judged poor",
    },
    {
        "trigger": "instructions_resumed",
        "system": True,
        "source": "returned_for_finalization",
        "dest": "under_consideration",
        "unless": ["an_instruction_returned"],
        "description": "no instruction is returned any more",
    },
    {
        "trigger": "complete",
        "system": True,
        "source": IN_WORK,
        "dest": "answered",
        "conditions": ["all_instructions_done"],
        "description": "every instruction executed; the citizen is answered",
    },
    {
        "trigger": "close",
        "source": "answered",
        "dest": "closed",
        "closure": "resolved",
        "description": "control of the reception is lifted",
    },
    {
        "trigger": "no_show",
        "source": "routed",
        "dest": "closed",
        "conditions": ["slot_has_begun"],
        "closure": "citizen_did_not_come",
        "description": "the citizen did not come",
    },
    {
        "trigger": "cancel",
        "source": ["registered", "routed"],
        "dest": "closed",
        "requires": ["reason"],
        "closure": "cancelled_by_citizen",
        "description": "the citizen cancelled",
    },
    {
        "trigger": "refuse",
        "source": ["registered", "routed"],
        "dest": "closed",
        "requires": ["reason"],
        "closure": "refused",
        "description": "refused, with the reason",
    },
    RETRY_SIDE_EFFECTS,
]

# A payload for each trigger, as an operator would type it in the Web UI (free text is "...").
RECEPTION_EXAMPLES: dict[str, dict[str, Any]] = {
    # No slot number: the official's earliest free slot (table v3), so the example books as given.
    "schedule": {"details": {"participants": ["housing-dept"]}},
    "reschedule": {"reason": "...", "details": {"participants": ["housing-dept"]}},
    "hold": {
        "answer_text": "...",
        "details": {"instructions": [{"executor": "housing-dept", "text": "...", "term_working_days": 10}]},
    },
    "no_show": {},
    "cancel": {"reason": "..."},
    "refuse": {"reason": "..."},
    "close": {},
    "retry_side_effects": {},
}

# Version 2 (issue 22, one contract per kind): the slot is details.slot_id, a number, in the
# schedule's and the reschedule's typed details (`target`, still read the same, was any text).
V2_CHANGED: dict[str, dict[str, Any]] = {
    "schedule": {
        "details": SlotBooking,
        "requires": [],
        "description": "book a slot (details.slot_id); details.participants, details.link optional",
    },
    "reschedule": {"details": SlotBooking, "requires": []},
}
RECEPTION_TRANSITIONS_V2 = revised(RECEPTION_TRANSITIONS, V2_CHANGED, {})

# Version 3 (issue 23): a schedule or a reschedule without a slot number books the official's
# earliest free slot, so the card's example works as given whatever slots exist.
V3_CHANGED: dict[str, dict[str, Any]] = {
    "schedule": {
        "details": SlotChoice,
        "description": "book a slot: details.slot_id, or none for the earliest free one; details.participants",
    },
    "reschedule": {"details": SlotChoice},
}
RECEPTION_TRANSITIONS_V3 = revised(RECEPTION_TRANSITIONS_V2, V3_CHANGED, {})

RECEPTION_TABLES = TableVersions(
    (
        Table(kind="reception", transitions=RECEPTION_TRANSITIONS, version=1),
        Table(kind="reception", transitions=RECEPTION_TRANSITIONS_V2, version=2),
        Table(
            kind="reception",
            transitions=RECEPTION_TRANSITIONS_V3,
            version=3,
            features=frozenset({"earliest_free_slot"}),
        ),
    ),
    RECEPTION_EXAMPLES,
)
RECEPTION_TABLE = RECEPTION_TABLES.current
