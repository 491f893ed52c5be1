"""The whole permission matrix, walked: every (role, trigger) pair the policy does not allow is refused,
by every workflow kind, in its live states, and leaves the state and the registry unchanged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.schema import filled_fields
from policies.permissions import permission_matrix
from tests.scenario import accepted, answer, move, registry_snapshot, status, valid_details
from workflows.case_machine import STATES, CaseMachine, Table
from workflows.kinds import KINDS

ROLES = ["registrar", "controller", "executor", "official", "issuer", "head", "auditor", "system", "stranger"]
TABLES = {kind.name: kind.table for kind in KINDS}
CASES: dict[str, Any] = {kind.name: kind.case for kind in KINDS}
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def disallowed(kind: str) -> list[tuple[str, str]]:
    matrix = permission_matrix(kind)
    return [
        (role, trigger) for role in ROLES for trigger in TABLES[kind].triggers() if not matrix.allows(role, trigger)
    ]


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_every_disallowed_pair_is_refused_in_every_state(kind: str) -> None:
    """Pure walk over all six states: the machine refuses, the state stays."""
    table: Table = TABLES[kind]
    count = 0
    for state in STATES:
        for role, trigger in disallowed(kind):
            from models.moves import Actor, MoveRequest

            machine = CaseMachine(table, CASES[kind](state=state))
            move = MoveRequest(
                trigger=trigger,
                actor=Actor("someone", role),
                reason="r",
                target="t",
                answer_text="a",
                answer_character="explained",
                new_deadline="2099-01-01",
            )
            refusal = machine.refusal(move, NOW, permission_matrix(kind))
            assert refusal is not None and role in refusal, (kind, state, role, trigger)
            assert machine.state == state
            count += 1
    assert count == 6 * len(disallowed(kind)) > 0


async def walk(handle: WorkflowHandle[Any, Any], kind: str, engine: Engine) -> int:
    before_status = await status(handle)
    before_registry = registry_snapshot(engine, handle.id)
    refused = 0
    for role, trigger in disallowed(kind):
        schema = TABLES[kind].details_schema(trigger)
        filled = set(filled_fields(schema).values()) if schema else set()  # given in the details instead
        flat = {k: v for k, v in {"target": "t", "new_deadline": "2099-01-01"}.items() if k not in filled}
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await move(
                handle,
                trigger,
                "someone",
                role,
                reason="r",
                answer_text="a",
                answer_character="explained",
                details=valid_details(TABLES[kind], trigger),
                **flat,
            )
        assert role in str(err.value.cause), (role, trigger, err.value.cause)
        refused += 1
    after = await status(handle)
    assert (after.state, after.history, after.executor, after.deadline) == (
        before_status.state,
        before_status.history,
        before_status.executor,
        before_status.deadline,
    )
    assert registry_snapshot(engine, handle.id) == before_registry
    return refused


async def test_walk_appeal_workflow(client: Client, worker: Worker, engine: Engine) -> None:
    handle = await accepted(client, worker, "housing-dept")
    assert await walk(handle, "appeal", engine) == len(disallowed("appeal"))
    await answer(handle, "housing-dept", "a")
    assert await walk(handle, "appeal", engine) == len(disallowed("appeal"))


async def test_walk_reception_and_instruction_workflows(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    from tests.test_instruction import start as start_instruction
    from tests.test_instruction import until as until_instruction
    from tests.test_reception import start as start_reception

    reception = await start_reception(client, worker, env)
    for _ in range(200):  # registered: its card is in the registry
        if registry_snapshot(engine, reception.id)[0] is not None:
            break
        await asyncio.sleep(0.02)
    assert await walk(reception, "reception", engine) == len(disallowed("reception"))
    instruction = await start_instruction(env, client, worker)
    await until_instruction(instruction, lambda s: s.state == "routed")
    assert await walk(instruction, "instruction", engine) == len(disallowed("instruction"))
