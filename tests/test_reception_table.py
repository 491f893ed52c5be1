"""hypothesis: random trigger sequences and instruction news against the reception table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.control import InstructionUpdate
from models.moves import Actor, MoveRequest
from policies.permissions import permission_matrix
from workflows.case_machine import STATES, CaseMachine
from workflows.reception_case import ReceptionCase
from workflows.reception_table import RECEPTION_TABLE

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
SYSTEM_TRIGGERS = ("complete", "instruction_returned", "instructions_resumed")
CHILD_STATES = ["routed", "under_consideration", "returned_for_finalization", "answered", "closed"]

operator_moves = st.builds(
    MoveRequest,
    trigger=st.sampled_from(RECEPTION_TABLE.triggers()),
    actor=st.builds(
        Actor,
        id=st.sampled_from(["housing-head", "akim", "u1"]),
        role=st.sampled_from(["registrar", "controller", "official", "head", "auditor", "system"]),
    ),
    reason=st.sampled_from(["", "причина"]),
    target=st.sampled_from(["", "1", "2"]),
    answer_text=st.sampled_from(["", "итог"]),
)
events = st.one_of(
    st.tuples(st.just("move"), operator_moves),
    st.tuples(st.just("news"), st.tuples(st.integers(1, 3), st.sampled_from(CHILD_STATES))),
    st.tuples(st.just("time"), st.integers(0, 3)),
)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 3), st.lists(events, max_size=40))
def test_reception_invariants(given_count: int, sequence: list[tuple[str, object]]) -> None:
    case = ReceptionCase()
    machine = CaseMachine(RECEPTION_TABLE, case)
    machine.permissions = permission_matrix("reception")
    case.now = NOW
    accepted = 0
    completions: list[str] = []

    def system(trigger: str) -> None:
        nonlocal accepted
        move = MoveRequest(trigger=trigger, actor=Actor("reception-control", "system"))
        if machine.refusal(move, system=True) is None:
            if trigger == "complete":  # answered only when every instruction given is done
                assert len(case.instructions) == case.instructions_given
                assert all(i.state == "closed" for i in case.instructions.values())
            machine.apply(move, NOW)
            accepted += 1
            completions.append(trigger)

    for kind, value in sequence:
        before = (case.state, case.slot_id, dict(case.instructions))
        if kind == "time":
            case.now = NOW + timedelta(days=int(value))  # type: ignore[call-overload]
            continue
        if kind == "news":
            assert isinstance(value, tuple)
            index, child_state = int(value[0]), str(value[1])
            number = f"R-{index}"
            if number in case.instructions:
                case.instructions[number] = InstructionUpdate(number, "x", child_state, False, "", "")
            for trigger in SYSTEM_TRIGGERS:  # what reconcile() does
                system(trigger)
            continue
        move = value
        assert isinstance(move, MoveRequest)
        refusal = machine.refusal(move)
        if refusal:
            assert (case.state, case.slot_id, dict(case.instructions)) == before
            continue
        assert before[0] != "closed", "closed is terminal"
        assert move.trigger not in SYSTEM_TRIGGERS, "system moves are nobody's to make"
        machine.apply(move, NOW)  # as the workflow does: the slot is taken after the move is made
        accepted += 1
        if move.trigger in ("schedule", "reschedule"):
            case.slot_id, case.executor = int(move.target), "housing-head"
            case.slot_start = (NOW + timedelta(days=1)).isoformat()
        if move.trigger == "hold":
            case.instructions_given = given_count
            case.instructions = {
                f"R-{i}": InstructionUpdate(f"R-{i}", "x", "routed", False, "", "") for i in range(1, given_count + 1)
            }
            system("complete")
        assert case.state in STATES
    assert len(machine.history) == accepted
    assert [r.trigger for r in machine.history if r.to_state == "answered"] == [
        t for t in completions if t == "complete"
    ]
