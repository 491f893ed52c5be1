"""A case closes only by its own moves (issue 20, attack 3: cancellation).

The reproduction: logged in as the auditor, "Request Cancellation" on an appeal's page in the Web
UI cancelled it; the registry showed it `routed` for ever, no event was written, and compliance
reported nothing. Now the case refuses the request, keeps running, and flags itself.
"""

from __future__ import annotations

import asyncio

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from runtime import search_attributes as sa
from tests.factories import appeal_dict
from tests.scenario import answer, approve_and_deliver, move, start_appeal, status, until_state


async def test_a_cancellation_request_is_refused_and_the_case_flags_itself(client: Client, worker: Worker) -> None:
    handle = await start_appeal(client, worker, appeal_dict(category="housing"))
    await until_state(handle, "routed")
    await handle.cancel()
    for _ in range(200):
        st = await status(handle)
        if any(t.kind == "cancellation_refused" for t in st.timeline):
            break
        await asyncio.sleep(0.02)
    assert any(t.kind == "cancellation_refused" for t in st.timeline), st.timeline
    assert st.state == "routed" and st.outside_interventions and "cancellation" in st.outside_interventions[0]
    kinds = [event.event_type async for event in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED not in kinds  # still running
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert upserts[-1][sa.CASE_ATTENTION.name].data == b"true"  # in the list of cases needing attention
    # The case goes on by its own moves, to its own end.
    await move(handle, "accept", "housing-dept", "executor")
    await answer(handle, "housing-dept", "Сделано.", "satisfied")
    st = await approve_and_deliver(handle)
    assert st.state == "closed"
    assert (await handle.result()).state == "closed"
