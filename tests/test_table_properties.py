"""hypothesis: random moves against every kind's table and permissions (no server).

Only the table's own effect is checked here (the state, the refusal); what a move does beyond
that is the workflow's handler, tested through the server, so these tests cannot drift from it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.case_status import InstructionStanding, ProposalState
from models.errors import InputError
from models.moves import Actor, MoveRequest
from models.schema import parse_object
from models.slots import Slot
from policies.permissions import permission_matrix
from tests.scenario import valid_details
from workflows.case_machine import STATES, CaseMachine, Table
from workflows.kinds import BY_NAME, KINDS

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
ROLES = [
    "registrar",
    "controller",
    "executor",
    "official",
    "issuer",
    "head",
    "deputy_head",
    "auditor",
    "system",
    "janitor",
]
PEOPLE = ["housing-dept", "roads-dept", "housing-head", "u1"]
DETAILS: list[dict[str, Any]] = [
    {},
    {"executors": ["housing-dept", "roads-dept"]},
    {"executors": []},
    {"verdict": "poor", "poor_executors": ["housing-dept"]},
    {"verdict": "satisfactory"},
    {"participants": ["Аким"]},
    {"instructions": [{"executor": "housing-dept", "text": "t", "term_working_days": 5}]},
    {"place": "ул. Абая 1"},
    {"ground": "no_essence"},
    {"ground": "repeated_without_new_arguments"},
    {"questions": "вопрос о полиции"},
    {"decided_by": "president", "document_ref": "№ 01-02/123"},
    {"decided_by": "akim", "document_ref": "№ 5"},
]


def case_class(kind: str) -> Any:
    return BY_NAME[kind].case


def case_for(kind: str, state: str) -> Any:
    """A case of the kind in `state`, with facts that let many conditions hold."""
    if kind == "appeal":
        return case_class(kind)(
            state=state, executor="housing-dept", deadline="2026-12-15", original_deadline="2026-12-15"
        )
    if kind == "reception":
        slot = Slot(1, "housing-head", (NOW + timedelta(hours=1)).isoformat(), "", "office", "", "", "")
        news = {"R-1": InstructionStanding("R-1", "housing-dept", "closed", False, "", "")}
        return case_class(kind)(
            state=state, executor="housing-head", slot=slot, instructions=news, instructions_given=1
        )
    proposal = ProposalState("P-1", ["housing-dept"], "r", "awaiting_approval", "")
    return case_class(kind)(
        state=state,
        executors=["housing-dept", "roads-dept"],
        executor="housing-dept",
        term="2026-12-15",
        proposals=[proposal],
    )


@st.composite
def moves(draw: st.DrawFn, table: Table) -> MoveRequest:
    trigger = draw(st.sampled_from([*table.triggers(), "fly"]))
    schema = table.details_schema(trigger)
    details: Any = None
    if schema is not None:
        raw = draw(st.sampled_from(DETAILS))
        try:
            details = parse_object(schema, raw, "details")
        except InputError:  # not this schema's shape: the smallest details that parse
            details = parse_object(schema, valid_details(table, trigger), "details")
    return MoveRequest(
        trigger=trigger,
        actor=Actor(draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(ROLES))),
        reason=draw(st.sampled_from(["", "причина"])),
        target=draw(st.sampled_from(["", "housing-dept", "roads-dept", "1", "2", "P-1"])),
        answer_text=draw(st.sampled_from(["", "ответ"])),
        answer_character=draw(st.sampled_from(["", "explained", "refused"])),
        new_deadline=draw(st.sampled_from(["", "2026-12-20", "2027-01-20", "2027-06-01"])),
        details=details,
    )


def facts(case: Any) -> dict[str, Any]:
    return {f.name: getattr(case, f.name) for f in dataclasses.fields(case)}


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_moves_keep_the_table_invariants(kind: str, data: st.DataObject) -> None:
    table, permissions = BY_NAME[kind].table, permission_matrix(kind)
    case = case_for(kind, data.draw(st.sampled_from(STATES)))
    machine = CaseMachine(table, case)
    for move in data.draw(st.lists(moves(table), max_size=20)):
        before = facts(case)
        refusal = machine.refusal(move, NOW, permissions)
        if refusal:
            assert isinstance(refusal, str)
            assert refusal
            assert facts(case) == before  # checking a move changes nothing
            continue
        assert before["state"] != "closed" or move.trigger == "retry_side_effects", "closed is terminal"
        assert permissions.allows(move.actor.role, move.trigger)  # what was allowed, the policy allows
        assert move.trigger in table.operator_triggers(), "system moves are nobody's to make"
        assert before["state"] in table.sources(move.trigger)
        step = machine.apply(move, NOW)
        dests = {r["dest"] or before["state"] for r in table.rows(move.trigger)}
        assert step.from_state == before["state"]
        assert step.to_state == case.state and case.state in dests
        after = facts(case)
        del after["state"], before["state"]
        assert after == before  # the machine moves the state only; the rest is the handler's


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BY_NAME["appeal"].table.operator_triggers()), st.sampled_from(STATES))
def test_refusal_names_state_and_rule(trigger: str, state: str) -> None:
    table, permissions = BY_NAME["appeal"].table, permission_matrix("appeal")
    machine = CaseMachine(table, case_for("appeal", state))
    refusal = machine.refusal(MoveRequest(trigger=trigger, actor=Actor("u1", "auditor")), NOW, permissions)
    assert refusal is not None
    assert "auditor" in refusal and trigger in refusal  # auditors only read
    if state not in table.sources(trigger):
        allowed = permissions.roles_for(trigger)[0]
        refusal = machine.refusal(MoveRequest(trigger=trigger, actor=Actor("housing-dept", allowed)), NOW, permissions)
        assert refusal is not None
        assert state in refusal and "table rule" in refusal


def test_refusal_blocks_approval_until_hearing() -> None:
    permissions = permission_matrix("appeal")
    case = case_for("appeal", "answered")
    case.answer_character = "refused"
    case.hearing_until = case.hearing_fires_at = "2026-12-01T19:00:00+00:00"
    machine = CaseMachine(BY_NAME["appeal"].table, case)
    approve = MoveRequest(trigger="approve", actor=Actor("h", "head"))
    refusal = machine.refusal(approve, NOW, permissions)
    assert refusal is not None
    assert "hearing" in refusal and "hearing_satisfied" in refusal
    assert machine.refusal(approve, datetime(2026, 12, 1, 19, 0, tzinfo=UTC), permissions) is None  # time ends it
    case.hearing_elapsed = True
    assert machine.refusal(approve, NOW, permissions) is None
