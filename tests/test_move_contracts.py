"""One contract per kind for moves (issue 22, step 2): what `target` and `new_deadline` meant (an
executor, a body, a slot, a proposal, a term) is a named field of the trigger's typed details in
the newest tables; a client that still sends the flat field is read the same, and a case under
an older version is shown the payload its version reads."""

from __future__ import annotations

import pytest

from models.appeal_moves import ForwardPartDetails, ProposalDecision, ReassignDetails
from models.errors import InputError
from models.moves import parse_move
from models.reception import SlotChoice
from workflows.appeal_table import APPEAL_TABLES
from workflows.case_machine import as_version_reads
from workflows.instruction_table import INSTRUCTION_TABLES
from workflows.reception_table import RECEPTION_TABLES

HEAD = {"id": "head-1", "role": "head"}
APPEAL = APPEAL_TABLES.current
RECEPTION = RECEPTION_TABLES.current


def test_the_subject_of_a_move_is_a_typed_detail_and_fills_the_move() -> None:
    move = parse_move({"actor": HEAD, "details": {"executor": "utilities-dept"}}, "reassign", APPEAL.details_schema)
    assert move.details == ReassignDetails("utilities-dept") and move.target == "utilities-dept"
    part = {"body": "police", "questions": "угрозы"}
    move = parse_move({"actor": HEAD, "reason": "r", "details": part}, "forward_part", APPEAL.details_schema)
    assert move.details == ForwardPartDetails("police", "угрозы") and move.target == "police"
    move = parse_move({"actor": HEAD, "details": {"slot_id": 13}}, "schedule", RECEPTION.details_schema)
    assert isinstance(move.details, SlotChoice) and move.target == "13"
    move = parse_move(
        {"actor": HEAD, "details": {"proposal": "p-1"}}, "approve_proposal", INSTRUCTION_TABLES.current.details_schema
    )
    assert move.details == ProposalDecision("p-1") and move.target == "p-1"


def test_an_older_client_s_flat_field_is_read_the_same() -> None:
    flat = parse_move({"actor": HEAD, "target": "utilities-dept"}, "reassign", APPEAL.details_schema)
    typed = parse_move({"actor": HEAD, "details": {"executor": "utilities-dept"}}, "reassign", APPEAL.details_schema)
    assert (flat.details, flat.target) == (typed.details, typed.target)
    slot = parse_move({"actor": HEAD, "target": "13"}, "schedule", RECEPTION.details_schema)
    assert isinstance(slot.details, SlotChoice) and slot.details.slot_id == 13
    earliest = parse_move({"actor": HEAD, "details": {}}, "schedule", RECEPTION.details_schema)
    assert isinstance(earliest.details, SlotChoice) and earliest.details.slot_id == 0  # the earliest free (v3)


@pytest.mark.parametrize(
    ("trigger", "payload", "field", "rule"),
    [
        ("reassign", {}, "details.executor", "is required"),
        ("reassign", {"target": "a", "details": {"executor": "b"}}, "target", "details.executor says 'b'"),
        ("extend_deadline", {"reason": "r", "details": {"new_deadline": "soon"}}, "details.new_deadline", "form"),
        ("forward", {"reason": "r", "details": {"body": "police", "target": "x"}}, "details.target", "not a field"),
    ],
)
def test_a_bad_subject_is_refused_naming_the_field(trigger: str, payload: dict, field: str, rule: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_move({"actor": HEAD, **payload}, trigger, APPEAL.details_schema)
    assert refused.value.field == field and rule in str(refused.value)


def test_a_case_under_an_older_version_is_shown_the_payload_it_reads() -> None:
    example = {"case": "APL-2026-000001", "trigger": "reassign", "reason": "...", "details": {"executor": "x"}}
    v5 = APPEAL_TABLES.version(5)
    shown = as_version_reads(v5, APPEAL, "reassign", example)
    assert shown == {"case": "APL-2026-000001", "trigger": "reassign", "reason": "...", "target": "x"}
    parse_move({**shown, "actor": HEAD}, "reassign", v5.details_schema)  # v5 reads it
    booking = {"trigger": "schedule", "details": {"slot_id": 12, "participants": ["housing-dept"]}}
    shown = as_version_reads(RECEPTION_TABLES.version(1), RECEPTION, "schedule", booking)
    assert shown == {"trigger": "schedule", "target": "12", "details": {"participants": ["housing-dept"]}}
    assert as_version_reads(APPEAL, APPEAL, "reassign", example) is example
