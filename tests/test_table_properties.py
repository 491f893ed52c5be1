"""hypothesis: random trigger sequences against the appeal table and its permissions (no server)."""

from __future__ import annotations

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


def fresh() -> tuple[CaseMachine, AppealCase]:
    case = AppealCase()
    case.deadline = case.original_deadline = "2026-12-15"
    machine = CaseMachine(APPEAL_TABLE, case)
    machine.permissions = permission_matrix("appeal")
    return machine, case


def snapshot(case: AppealCase) -> tuple[object, ...]:
    return (case.state, case.executor, case.deadline, case.answer_character, case.hearing_until)


@settings(max_examples=400, deadline=None)
@given(st.lists(moves, max_size=25))
def test_random_sequences_keep_the_invariants(sequence: list[MoveRequest]) -> None:
    machine, case = fresh()
    accepted = 0
    for move in sequence:
        before = snapshot(case)
        was_closed = case.state == "closed"
        refusal = machine.refusal(move)
        if refusal:
            assert isinstance(refusal, str) and move.trigger in refusal or "role" in refusal or "case" in refusal
            assert snapshot(case) == before  # a refused move changes nothing
            continue
        assert not was_closed, "closed is terminal"
        record = machine.apply(move, NOW)
        accepted += 1
        if move.trigger in ("route", "reassign"):
            case.executor = move.target or "housing-dept"
        if move.trigger == "submit_answer":
            case.answer_character = move.answer_character
        if move.trigger == "extend_deadline":
            case.deadline = move.new_deadline
        assert record.from_state == before[0] and record.to_state == case.state
        assert case.state in STATES
        # what was allowed really was allowed by the permissions policy
        assert machine.permissions is not None and machine.permissions.allows(move.actor.role, move.trigger)
    assert len(machine.history) == accepted
    assert [r.seq for r in machine.history] == list(range(1, accepted + 1))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(APPEAL_TABLE.triggers()), st.sampled_from(STATES))
def test_refusal_names_state_and_rule(trigger: str, state: str) -> None:
    machine, case = fresh()
    case.state = state
    case.executor = "housing-dept"
    move = MoveRequest(trigger=trigger, actor=Actor("u1", "auditor"))
    refusal = machine.refusal(move)
    assert refusal is not None and "auditor" in refusal and trigger in refusal  # auditors only read
    if state not in APPEAL_TABLE.sources(trigger):
        allowed = permission_matrix("appeal").roles_for(trigger)
        refusal = machine.refusal(MoveRequest(trigger=trigger, actor=Actor("housing-dept", allowed[0])))
        assert refusal is not None and state in refusal and "table rule" in refusal


def test_refusal_blocks_approval_until_hearing() -> None:
    machine, case = fresh()
    case.state = "answered"
    case.answer_character = "refused"
    case.hearing_until = "2026-12-01T19:00:00+00:00"
    approve = MoveRequest(trigger="approve", actor=Actor("h", "head"))
    refusal = machine.refusal(approve)
    assert refusal is not None and "hearing" in refusal and "hearing_satisfied" in refusal
    case.hearing_elapsed = True
    assert machine.refusal(approve) is None
