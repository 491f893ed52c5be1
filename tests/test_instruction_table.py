"""hypothesis: random trigger sequences against the instruction table and its permissions."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from models.control import ProposalState
from models.moves import Actor, MoveRequest
from policies.permissions import permission_matrix
from workflows.case_machine import STATES, CaseMachine
from workflows.instruction_case import InstructionCase
from workflows.instruction_table import INSTRUCTION_TABLE

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
PEOPLE = ["housing-dept", "roads-dept", "land-dept", "issuer-1", "head-1", "ctl-1"]

moves = st.builds(
    MoveRequest,
    trigger=st.sampled_from(INSTRUCTION_TABLE.triggers() + ["fly"]),
    actor=st.builds(
        Actor,
        id=st.sampled_from(PEOPLE),
        role=st.sampled_from(["registrar", "controller", "executor", "issuer", "head", "auditor"]),
    ),
    reason=st.sampled_from(["", "причина"]),
    target=st.sampled_from(["", "P-1", "P-2", "body"]),
    answer_text=st.sampled_from(["", "текст"]),
    new_deadline=st.sampled_from(["", "2026-11-01", "2027-02-01"]),
    details=st.sampled_from(
        [{}, {"executors": ["housing-dept", "roads-dept"]}, {"verdict": "poor"}, {"verdict": "satisfactory"}]
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(moves, max_size=30))
def test_instruction_invariants(sequence: list[MoveRequest]) -> None:
    case = InstructionCase()
    case.term = "2026-12-20"
    case.proposals = [ProposalState("P-1", ["land-dept"], "late", "awaiting_approval", "")]
    machine = CaseMachine(INSTRUCTION_TABLE, case)
    matrix = permission_matrix("instruction")
    machine.permissions = matrix
    accepted = 0
    for move in sequence:
        before = (case.state, list(case.executors), dict(case.extension), [p.status for p in case.proposals])
        refusal = machine.refusal(move)
        if refusal:
            assert (
                case.state,
                list(case.executors),
                dict(case.extension),
                [p.status for p in case.proposals],
            ) == before
            continue
        assert before[0] != "closed", "closed is terminal"
        assert matrix.allows(move.actor.role, move.trigger)
        if move.actor.role == "executor":
            assert move.actor.id in case.executors, "executors act only on their own instructions"
        if move.trigger == "submit_consolidated":
            assert move.actor.id == case.executors[0], "only the first-named executor consolidates"
        if move.trigger in ("approve_proposal", "reject_proposal"):
            assert any(p.key == move.target and p.status == "awaiting_approval" for p in case.proposals)
        record = machine.apply(move, NOW)
        accepted += 1
        # what the workflow does after the move
        if move.trigger == "assign":
            case.executors = list(move.details["executors"])
            case.executor = case.executors[0]
        elif move.trigger == "request_extension":
            case.extension = {"by": move.actor.id, "new_deadline": move.new_deadline}
        elif move.trigger in ("approve_extension", "refuse_extension"):
            case.extension = {}
        elif move.trigger in ("approve_proposal", "reject_proposal"):
            next(p for p in case.proposals if p.key == move.target).status = "sent"
        if move.trigger == "record_findings" and before[0] == "answered":
            poor = move.details.get("verdict") == "poor"
            assert (record.to_state == "returned_for_finalization") == poor
        assert case.state in STATES
    assert len(machine.history) == accepted
