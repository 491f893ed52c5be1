"""The control of a Presidential instruction: states and moves, as a table (seed 9.1-9.7).

registered: issuer, text, terms; routed: executors assigned, the first-named coordinates;
under_consideration: executing, interim reports per executor per period; answered: the lead's
consolidated report; returned_for_finalization: judged incomplete or poor, with a new term;
closed: control lifted by a decision with a conclusion, or transferred.
"""

from __future__ import annotations

from typing import Any

from models.appeal_moves import ProposalDecision
from models.instruction import (
    AssignDetails,
    ExtensionAsked,
    FindingsDetails,
    IssuerDecision,
    IssuerDocument,
    ReturnDetails,
    TransferDetails,
    VerificationDetails,
    VerificationScheduled,
)
from workflows.case_machine import RETRY_SIDE_EFFECTS, Table, TableVersions, revised
from workflows.proposals import decision_rows

OPEN = ["registered", "routed", "under_consideration", "returned_for_finalization", "answered"]
WORKING = ["routed", "under_consideration", "returned_for_finalization"]

INSTRUCTION_TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "assign",
        "source": "registered",
        "dest": "routed",
        "details": AssignDetails,
        "conditions": ["executors_given"],
        "description": "assign executors (details.executors; the first named coordinates)",
    },
    {
        "trigger": "report",
        "source": "routed",
        "dest": "under_consideration",
        "requires": ["answer_text"],
        "description": "an executor's interim report for the current period",
    },
    {
        "trigger": "report",
        "source": ["under_consideration", "returned_for_finalization"],
        "dest": None,
        "requires": ["answer_text"],
    },
    {
        "trigger": "submit_consolidated",
        "source": ["under_consideration", "returned_for_finalization"],
        "dest": "answered",
        "requires": ["answer_text"],
        "conditions": ["actor_is_lead"],
        "description": "the lead executor's consolidated report",
    },
    {
        "trigger": "return_for_finalization",
        "source": "answered",
        "dest": "returned_for_finalization",
        "requires": ["reason"],
        "description": "incomplete or poor: back with a new term (new_deadline or policy)",
    },
    {
        "trigger": "request_extension",
        "source": WORKING,
        "dest": None,
        "requires": ["new_deadline", "reason"],
        "unless": ["extension_pending"],
        "conditions": ["deadline_is_later"],
        "description": "an executor asks the issuer, in writing, for a later term",
    },
    {
        "trigger": "approve_extension",
        "source": WORKING,
        "dest": None,
        "conditions": ["extension_pending"],
        "description": "the issuer's decision granting the requested term (details: decided_by, document_ref)",
    },
    {
        "trigger": "refuse_extension",
        "source": WORKING,
        "dest": None,
        "conditions": ["extension_pending"],
        "description": "the issuer's decision refusing it; the term stays (details: decided_by, document_ref)",
    },
    {
        "trigger": "schedule_verification",
        "source": ["under_consideration", "returned_for_finalization", "answered"],
        "dest": None,
        "requires": ["new_deadline"],
        "details": VerificationDetails,
        "description": "on-site check (date in new_deadline, details.place)",
    },
    {
        "trigger": "record_findings",
        "source": "answered",
        "dest": "returned_for_finalization",
        "requires": ["answer_text"],
        "details": FindingsDetails,
        "conditions": ["findings_poor"],
        "description": "findings of the check; poor findings return the instruction for finalization",
    },
    {
        "trigger": "record_findings",
        "source": ["under_consideration", "returned_for_finalization", "answered"],
        "dest": None,
        "requires": ["answer_text"],
        "unless": ["findings_poor"],
    },
    {
        "trigger": "record_findings",
        "source": ["under_consideration", "returned_for_finalization"],
        "dest": None,
        "requires": ["answer_text"],
        "conditions": ["findings_poor"],
    },
    *decision_rows(
        OPEN,
        approval_requires=["target"],
        approval="the head approves a disciplinary proposal: it is sent",
        rejection="the head rejects a disciplinary proposal",
    ),
    {
        "trigger": "lift_control",
        "source": "answered",
        "dest": "closed",
        "requires": ["answer_text"],
        "closure": "control_lifted",
        "description": "control lifted by decision, with the conclusion (seed 9.7)",
    },
    {
        "trigger": "transfer",
        "source": OPEN,
        "dest": "closed",
        "requires": ["target", "reason"],
        "closure": "transferred",
        "description": "control transferred to another body",
    },
    RETRY_SIDE_EFFECTS,
]

# Version 2 (issue 9): an extension is the issuer's decision, recorded with its document; the
# department (or its head) never decides on a term the President's side or the akim set.
ISSUER_DECIDES: dict[str, Any] = {
    "details": IssuerDecision,
    "conditions": ["extension_pending", "decided_by_issuer"],
}
INSTRUCTION_TRANSITIONS_V2: list[dict[str, Any]] = [
    {**row, **ISSUER_DECIDES} if row["trigger"] in ("approve_extension", "refuse_extension") else row
    for row in INSTRUCTION_TRANSITIONS
]

# A payload for each trigger, as an operator would type it in the Web UI (free text is "...").
INSTRUCTION_EXAMPLES: dict[str, dict[str, Any]] = {
    "assign": {"details": {"executors": ["housing-dept", "utilities-dept"]}},
    "report": {"answer_text": "..."},
    "submit_consolidated": {"answer_text": "..."},
    "return_for_finalization": {"reason": "..."},
    "schedule_verification": {"details": {"date": "2027-01-15", "place": "..."}},
    "record_findings": {"answer_text": "...", "details": {"verdict": "satisfactory", "poor_executors": []}},
    "lift_control": {"answer_text": "..."},
    "request_extension": {"reason": "...", "details": {"new_deadline": "2027-02-26"}},
    "approve_extension": {"details": {"document_number": "...", "document_date": "2027-01-10"}},
    "refuse_extension": {"details": {"document_number": "...", "document_date": "2027-01-10"}},
    "transfer": {"reason": "...", "details": {"executor": "utilities-dept"}},
    "approve_proposal": {"details": {"proposal": "proposal-1"}},
    "reject_proposal": {"reason": "...", "details": {"proposal": "proposal-1"}},
    "retry_side_effects": {},
}

# Version 3 (issue 21): who decides for an issuer. The issuer is the instruction's own, never typed
# (before, `decided_by: president` from a user of the akim's office was taken); a user in the role
# `issuer` decides only for the body their unit belongs to (policies/instructions.yaml
# office_unit); the controller records any issuer's decision with the incoming document's number
# and date, both required; an extension is requested before the term ends.
ISSUER_DOCUMENT: dict[str, Any] = {
    "details": IssuerDocument,
    "conditions": ["extension_pending", "decider_speaks_for_issuer", "document_dated_by_now"],
}
INSTRUCTION_TRANSITIONS_V3: list[dict[str, Any]] = [
    {**row, **ISSUER_DOCUMENT}
    if row["trigger"] in ("approve_extension", "refuse_extension")
    else {**row, "conditions": [*row.get("conditions", []), "term_still_running"]}
    if row["trigger"] == "request_extension"
    else row
    for row in INSTRUCTION_TRANSITIONS_V2
]

# ...beyond its rows: the issuer deciding is the instruction's own (no `decided_by` to type).
V3_FEATURES = frozenset({"issuer_is_the_instructions_own"})

# Version 4 (issue 22, one contract per kind): what `target` and `new_deadline` meant is named in
# each trigger's typed details; a client that still sends the flat field is read the same.
V4_CHANGED: dict[str, dict[str, Any]] = {
    "return_for_finalization": {"details": ReturnDetails},
    "request_extension": {"details": ExtensionAsked, "requires": ["reason"]},
    "schedule_verification": {
        "details": VerificationScheduled,
        "requires": [],
        "description": "on-site check (details.date, details.place)",
    },
    "approve_proposal": {"details": ProposalDecision, "requires": []},
    "reject_proposal": {"details": ProposalDecision, "requires": ["reason"]},
    "transfer": {"details": TransferDetails, "requires": ["reason"]},
    # ...and the lead's consolidated report is its unit's, made by whichever of its staff logged in.
    "submit_consolidated": {"conditions": ["actor_speaks_for_lead"]},
}
INSTRUCTION_TRANSITIONS_V4 = revised(INSTRUCTION_TRANSITIONS_V3, V4_CHANGED, {})

INSTRUCTION_TABLES = TableVersions(
    (
        Table(kind="instruction", transitions=INSTRUCTION_TRANSITIONS, version=1),
        Table(kind="instruction", transitions=INSTRUCTION_TRANSITIONS_V2, version=2),
        Table(kind="instruction", transitions=INSTRUCTION_TRANSITIONS_V3, version=3, features=V3_FEATURES),
        Table(kind="instruction", transitions=INSTRUCTION_TRANSITIONS_V4, version=4, features=V3_FEATURES),
    ),
    INSTRUCTION_EXAMPLES,
)
INSTRUCTION_TABLE = INSTRUCTION_TABLES.current
