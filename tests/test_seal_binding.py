"""A seal is good for one move on one case, once (issue 20, attack 1).

The reproduction: the bytes of a sealed move of case A, read from A's history and sent unchanged
by a client with no key and no session to case B within the seal's lifetime, moved B (as an
Update and as a signal). Now a seal names its namespace, case, trigger, a digest of the move's
fields and a one-time nonce; the case refuses any mismatch and records who the seal names.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.worker import Worker

from models.moves import move_digest
from tests.factories import appeal_dict
from tests.scenario import keyless, server_now, start_appeal, status, until_state
from tooling.client import transition
from tooling.seal import Identity, SealError, seal_move

EXECUTOR = Identity("housing-dept", "Жилищное управление", ["executor"], "housing-dept")
CONTROLLER = Identity("ctl-1", "Контролёр", ["controller"], "")
ANOTHER_CASE = "seal made for another case or move"


async def routed_appeal(client: Client, worker: Worker) -> WorkflowHandle[Any, Any]:
    handle = await start_appeal(client, worker, appeal_dict(category="housing"))
    await until_state(handle, "routed")
    return handle


async def sealed_update_payload(handle: WorkflowHandle[Any, Any]) -> Payload:
    """The encrypted payload of the case's first accepted Update, as `workflow show -o json` shows it."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            payload: Payload = (
                event.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads[0]
            )
            return payload
    raise AssertionError("no accepted Update in the history")


async def refusals_of(handle: WorkflowHandle[Any, Any], count: int) -> list[tuple[str, str, str]]:
    for _ in range(200):
        st = await status(handle)
        if len(st.refusals) >= count:
            break
    return [(r.trigger, r.actor_id, r.message) for r in st.refusals]


async def test_a_sealed_move_copied_onto_another_case_is_refused(client: Client, worker: Worker) -> None:
    a, b = await routed_appeal(client, worker), await routed_appeal(client, worker)
    await transition(a, "accept", EXECUTOR, "executor", now=await server_now(client))
    copied = await sealed_update_payload(a)
    with pytest.raises(WorkflowUpdateFailedError) as update:
        await keyless(client).get_workflow_handle(b.id).execute_update("transition", RawValue(copied))
    assert ANOTHER_CASE in str(update.value.cause) and a.id in str(update.value.cause)
    await keyless(client).get_workflow_handle(b.id).signal("accept", RawValue(copied))
    refused = await refusals_of(b, 1)
    assert [(trigger, who) for trigger, who, _ in refused] == [("accept", "housing-dept")]  # who the seal names
    assert ANOTHER_CASE in refused[0][2] and f"made for case {a.id!r}" in refused[0][2]
    st = await status(b)
    assert st.state == "routed" and [h.trigger for h in st.history] == ["route"]
    assert (await status(a)).state == "under_consideration"


async def test_a_seal_is_used_once_on_its_own_case(client: Client, worker: Worker) -> None:
    """Reassign to X (seal S1), to Y (S2), then S1 again: without a nonce it moved the case back."""
    handle = await routed_appeal(client, worker)
    now = await server_now(client)
    first = seal_move(
        {"trigger": "reassign", "target": "roads-dept", "reason": "по профилю"}, CONTROLLER, "test", now, case=handle.id
    )
    await handle.execute_update("transition", first)
    await transition(handle, "reassign", CONTROLLER, "controller", now=now, target="housing-dept", reason="ошибка")
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await handle.execute_update("transition", first)
    assert ANOTHER_CASE in str(again.value.cause) and "already used" in str(again.value.cause)
    await handle.signal("reassign", first)
    refused = await refusals_of(handle, 1)
    assert "already used" in refused[0][2]
    st = await status(handle)
    assert st.executor == "housing-dept" and [h.trigger for h in st.history] == ["route", "reassign", "reassign"]


async def test_a_seal_covers_the_moves_fields_and_trigger(client: Client, worker: Worker) -> None:
    handle = await routed_appeal(client, worker)
    now = await server_now(client)
    seal = seal_move(
        {"trigger": "reassign", "target": "roads-dept", "reason": "x"}, CONTROLLER, "test", now, case=handle.id
    )
    altered = {**seal, "target": "land-dept"}  # a key holder changing the sealed move
    with pytest.raises(WorkflowUpdateFailedError) as changed:
        await handle.execute_update("transition", altered)
    assert "fields are not the ones sealed" in str(changed.value.cause)
    as_other = {**seal, "trigger": "withdraw"}
    with pytest.raises(WorkflowUpdateFailedError) as other:
        await handle.execute_update("transition", as_other)
    assert "made for 'reassign'" in str(other.value.cause)
    elsewhere = seal_move({"trigger": "accept"}, EXECUTOR, "test", now, case=handle.id, namespace="production")
    with pytest.raises(WorkflowUpdateFailedError) as namespace:
        await handle.execute_update("transition", elsewhere)
    assert "namespace 'production'" in str(namespace.value.cause)
    assert (await status(handle)).state == "routed"


def test_a_move_is_sealed_only_when_it_names_its_case_and_trigger() -> None:
    with pytest.raises(SealError, match="case"):
        seal_move({"trigger": "accept"}, EXECUTOR, "test")
    with pytest.raises(SealError, match="trigger"):
        seal_move({"case": "APL-2026-000001"}, EXECUTOR, "test")
    sealed = seal_move({"trigger": "accept", "case": "APL-2026-000001"}, EXECUTOR, "test", namespace="ns")
    seal = sealed["seal"]
    assert (seal["case"], seal["message"], seal["namespace"]) == ("APL-2026-000001", "accept", "ns")
    assert seal["digest"] == move_digest(sealed) and len(seal["nonce"]) == 32
    assert seal_move({"trigger": "accept", "case": "x"}, EXECUTOR, "test")["seal"]["nonce"] != seal["nonce"]
