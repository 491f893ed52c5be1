"""A start counts only when sealed (issue 20, attacks 2 and 7).

The reproduction: `temporal workflow start --type AppealWorkflow ... --input '{...}'` (plain JSON,
no key) registered a backdated appeal that was overdue at once, with an acknowledgement to an
address the attacker chose; `InstructionWorkflow` the same; starting the next numbers first made
the registrar's `register` fail ("already registered"); client-set search attributes put a failed
start in an executor's list of open cases. Now an unsealed start is refused at its first task with
nothing written, marks itself `refused_registration`, and the registrar can still take the number.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.registry import CaseRecord, EventRecord, NotificationRecord
from runtime import search_attributes as sa
from runtime.clock import utc_now
from runtime.signing import current_signer
from tests.conftest import Served
from tests.factories import appeal_dict
from tests.scenario import REGISTRAR, keyless, server_now, until_state
from tests.test_instruction import instruction_dict, new_number
from tooling.client import TASK_QUEUE, start_case
from tooling.seal import Identity, seal_registration

REFUSED = "refused_registration"


async def refusal_of(handle: WorkflowHandle[Any, Any]) -> str:
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=30)  # a registered case would run on: bounded
    return str(failed.value.cause)


async def nothing_written(handle: WorkflowHandle[Any, Any], engine: Engine) -> None:
    """No card, no event, no notice, no timer, and no failed workflow task."""
    with Session(engine) as s:
        assert s.get(CaseRecord, handle.id) is None
        assert s.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all() == []
        assert s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == handle.id)).all() == []
    kinds = [event.event_type async for event in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds  # the patch marker only: no activity ran
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds


async def test_an_unsealed_backdated_start_registers_nothing_and_leaves_no_open_case(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """On the dev server (real visibility): the start's own search attributes are taken over."""
    client = dev_env.client
    appeal = appeal_dict(received_at=(utc_now() - timedelta(days=90)).isoformat())
    appeal["contacts"]["email"] = "attacker@example.org"
    forged = TypedSearchAttributes(
        [SearchAttributePair(sa.CASE_STATE, "routed"), SearchAttributePair(sa.CASE_EXECUTOR, "housing-dept")]
    )
    handle = await keyless(client).start_workflow(
        "AppealWorkflow", appeal, id=appeal["reg_number"], task_queue=TASK_QUEUE, search_attributes=forged
    )
    assert "registration refused: not sealed by a registrar" in await refusal_of(handle)
    await nothing_written(handle, served.engine)
    listed = (await handle.describe()).typed_search_attributes
    assert listed.get(sa.CASE_STATE) == REFUSED and listed.get(sa.CASE_EXECUTOR) is None  # in no open list
    assert listed.get(sa.CASE_KIND) == "appeal"
    # The registrar still gets the number (a refused start does not hold it).
    await start_case(client, "AppealWorkflow", appeal, handle.id, TASK_QUEUE, who=REGISTRAR)
    registered = client.get_workflow_handle(handle.id)
    st = await until_state(registered, "routed")
    assert st.history[0].trigger == "route"
    assert (await registered.describe()).typed_search_attributes.get(sa.CASE_STATE) == "routed"


async def test_an_unsealed_instruction_registers_nothing(client: Client, worker: Worker, engine: Engine) -> None:
    number = new_number()
    data = instruction_dict(number, await server_now(client))
    handle = await keyless(client).start_workflow("InstructionWorkflow", data, id=number, task_queue=worker.task_queue)
    assert "registration refused: not sealed by a registrar" in await refusal_of(handle)
    await nothing_written(handle, engine)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("another_case", "the seal was made for case"),
        ("altered", "the input is not the one sealed"),
        ("future", "is in the future"),
        ("stale", "is older than 300 s"),
        ("move_seal", "the seal is not a registration's"),
    ],
)
async def test_a_registration_seal_is_for_its_own_input_and_number_now(
    client: Client, worker: Worker, engine: Engine, change: str, why: str
) -> None:
    now = await server_now(client)
    appeal = appeal_dict()
    number = appeal["reg_number"]
    at = now - timedelta(minutes=6) if change == "stale" else now
    if change == "future":
        appeal["received_at"] = (now + timedelta(days=2)).isoformat()
    sealed = seal_registration(appeal, REGISTRAR, "test", at, namespace=client.namespace)
    if change == "another_case":
        number = appeal_dict()["reg_number"]
        sealed["reg_number"] = number  # the input names the number it is started under...
        sealed["seal"] = seal_registration(appeal, REGISTRAR, "test", now)["seal"]  # ...the seal another
    if change == "altered":
        sealed["contacts"] = {"email": "attacker@example.org"}
    if change == "move_seal":  # a seal a sealer made for a move, not a registration
        signer = current_signer()
        assert signer is not None
        sealed["seal"] = signer.sign({**sealed["seal"], "message": "accept"})
    handle = await client.start_workflow("AppealWorkflow", sealed, id=number, task_queue=worker.task_queue)
    assert why in await refusal_of(handle)
    await nothing_written(handle, engine)


async def test_only_a_registering_role_registers(client: Client, worker: Worker, engine: Engine) -> None:
    executor = Identity("housing-dept", "Жилищное управление", ["executor"], "housing-dept")
    with pytest.raises(PermissionError, match="may not register cases"):
        seal_registration(appeal_dict(), executor, "ui_session")
    # A key holder sealing for a role the policy does not list: refused once the policy is read.
    appeal = appeal_dict()
    forged = seal_registration(appeal, executor, "cli", await server_now(client), roles=["executor"])
    handle = await client.start_workflow(
        "AppealWorkflow", forged, id=appeal["reg_number"], task_queue=worker.task_queue
    )
    assert "registered as 'executor'; registering is for registrar, channel" in await refusal_of(handle)
    with Session(engine) as s:
        assert s.get(CaseRecord, appeal["reg_number"]) is None
