"""hypothesis: random trigger sequences against the appeal table and its permissions (no server)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from models.moves import Actor, MoveRequest
from policies.permissions import permission_matrix
from workflows.appeal_case import AppealCase
from workflows.appeal_table import APPEAL_TABLE
from workflows.case_machine import STATES, CaseMachine

ROLES = ["registrar", "controller", "executor", "head", "auditor", "janitor"]
TRIGGERS = APPEAL_TABLE.triggers() + ["fly"]
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

moves = st.builds(
    MoveRequest,
    trigger=st.sampled_from(TRIGGERS),
    actor=st.builds(Actor, id=st.sampled_from(["housing-dept", "roads-dept", "u1"]), role=st.sampled_from(ROLES)),
    reason=st.sampled_from(["", "причина"]),
    target=st.sampled_from(["", "housing-dept", "roads-dept"]),
    answer_text=st.sampled_from(["", "ответ"]),
    answer_character=st.sampled_from(["", "explained", "satisfied", "refused"]),
    new_deadline=st.sampled_from(["", "2026-12-20", "2027-01-20", "2027-06-01"]),
)


PERMISSIONS = permission_matrix("appeal")


def fresh() -> tuple[CaseMachine, AppealCase]:
    case = AppealCase(deadline="2026-12-15", original_deadline="2026-12-15", executor="housing-dept")
    return CaseMachine(APPEAL_TABLE, case), case


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(STATES), st.lists(moves, max_size=25))
def test_random_moves_keep_the_table_invariants(start: str, sequence: list[MoveRequest]) -> None:
    """Only the table's own effect is checked here (the state); what each move does beyond it is
    the workflow's, tested through the server, so this test cannot drift from the workflow."""
    machine, case = fresh()
    case.state = start
    for move in sequence:
        before = dataclasses.asdict(case)
        refusal = machine.refusal(move, NOW, PERMISSIONS)
        if refusal:
            assert isinstance(refusal, str) and refusal
            assert dataclasses.asdict(case) == before  # checking a move changes nothing
            continue
        assert before["state"] != "closed" or move.trigger == "retry_side_effects", "closed is terminal"
        assert PERMISSIONS.allows(move.actor.role, move.trigger)  # what was allowed, the policy allows
        assert before["state"] in APPEAL_TABLE.sources(move.trigger)
        step = machine.apply(move, NOW)
        dests = {r["dest"] or before["state"] for r in APPEAL_TABLE.rows(move.trigger)}
        assert step.from_state == before["state"] and step.to_state == case.state and case.state in dests
        assert {k: v for k, v in dataclasses.asdict(case).items() if k != "state"} == {
            k: v for k, v in before.items() if k != "state"
        }  # the machine moves the state only


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(APPEAL_TABLE.triggers()), st.sampled_from(STATES))
def test_refusal_names_state_and_rule(trigger: str, state: str) -> None:
    machine, case = fresh()
    case.state = state
    case.executor = "housing-dept"
    move = MoveRequest(trigger=trigger, actor=Actor("u1", "auditor"))
    refusal = machine.refusal(move, NOW, PERMISSIONS)
    assert refusal is not None and "auditor" in refusal and trigger in refusal  # auditors only read
    if state not in APPEAL_TABLE.sources(trigger):
        allowed = PERMISSIONS.roles_for(trigger)
        refusal = machine.refusal(
            MoveRequest(trigger=trigger, actor=Actor("housing-dept", allowed[0])), NOW, PERMISSIONS
        )
        assert refusal is not None and state in refusal and "table rule" in refusal


def test_refusal_blocks_approval_until_hearing() -> None:
    machine, case = fresh()
    case.state = "answered"
    case.answer_character = "refused"
    case.hearing_until = "2026-12-01T19:00:00+00:00"
    approve = MoveRequest(trigger="approve", actor=Actor("h", "head"))
    refusal = machine.refusal(approve, NOW, PERMISSIONS)
    assert refusal is not None and "hearing" in refusal and "hearing_satisfied" in refusal
    case.hearing_elapsed = True
    assert machine.refusal(approve, NOW, PERMISSIONS) is None
