"""Bounded growth: refused junk does not accumulate. Refusals and the timeline are capped (the rest
counted), fired timers are pruned, and every kind continues as new when its history grows long."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from policies.loading import load_policy
from tests.factories import appeal_dict
from tests.scenario import move, start_appeal, status
from tests.test_no_wedge import routed_appeal_state

UNHANDLED_COMMAND = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
SIGNALS = int(os.environ.get("BOUNDED_GROWTH_SIGNALS", "20000"))


async def all_runs_failed_tasks(client: Client, workflow_id: str, first_run: str) -> tuple[int, int]:
    """(runs, failed workflow tasks over all of them), following the chain of continued runs. A
    continue-as-new refused by the server because signals kept arriving (UNHANDLED_COMMAND) is
    the server asking the workflow to look at them first, not a failure of ours."""
    runs = failed = 0
    run_id: str | None = first_run
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs += 1
        failed += sum(
            e.HasField("workflow_task_failed_event_attributes")
            and e.workflow_task_failed_event_attributes.cause != UNHANDLED_COMMAND
            for e in history.events
        )
        last = history.events[-1]
        continued = last.HasField("workflow_execution_continued_as_new_event_attributes")
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id if continued else None
    return runs, failed


async def test_twenty_thousand_refused_signals_leave_the_appeal_healthy(
    env: WorkflowEnvironment, client: Client, worker: Worker
) -> None:
    handle = await start_appeal(client, worker, appeal_dict())
    await routed_appeal_state(handle)
    junk: list[Any] = [
        {"actor": {"id": "auditor-1", "role": "auditor"}},  # parsed, refused by the permissions policy
        {"actor": "nobody"},  # refused at the boundary
        None,
    ]
    sent = 0
    while sent < SIGNALS:
        batch = min(500, SIGNALS - sent)
        await asyncio.gather(*(handle.signal("accept", junk[(sent + i) % 3]) for i in range(batch)))
        sent += batch
    st = await status(handle)
    for _ in range(400):
        if len(st.refusals) + st.refusals_dropped >= SIGNALS and st.runs > 1:
            break
        await asyncio.sleep(0.05)
        st = await status(handle)
    keep = int(load_policy("limits")["keep_refusals"])
    assert len(st.refusals) == keep and len(st.refusals) + st.refusals_dropped == SIGNALS  # none lost, few kept
    assert st.runs > 1 and any(t.kind == "continue_as_new" for t in st.timeline)
    assert st.state == "routed"
    st = await move(handle, "accept", "housing-dept", "executor")  # still moving, on the latest run
    assert st.state == "under_consideration"
    history = await client.get_workflow_handle(handle.id).fetch_history()
    assert len(history.events) < int(load_policy("limits")["new_run_after_events"]) + 2 * 500
    assert handle.first_execution_run_id is not None
    runs, failed = await all_runs_failed_tasks(client, handle.id, handle.first_execution_run_id)
    assert runs == st.runs and failed == 0
