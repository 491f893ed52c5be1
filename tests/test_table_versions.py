"""The drill for changing a table under running workflows (README, "Changing a table").

The next version of the appeal table changes one row (accepting an appeal now requires a reason).
A case registered under the current version keeps its rules, even on a worker that knows the
next one; its history still replays; a case registered after the change follows the next one.
(The real version 1 -> 2 change of issue 9 is checked by the replay corpus: version 1 histories
recorded before it still replay.)
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import ResetStickyTaskQueueRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from tests.drill_table_v2 import CURRENT, AppealWorkflowV2
from tests.factories import appeal_dict
from tests.scenario import move, refused, registration, until_state, worker_for
from tooling.client import data_converter
from workflows.appeal import AppealWorkflow


async def test_a_changed_row_applies_to_new_cases_only(dev_env: WorkflowEnvironment, engine: Engine) -> None:
    """On the dev server: a worker hand-over needs the sticky queue reset, which the time-skipping
    server does not implement."""
    client = dev_env.client
    queue = f"versions-{uuid.uuid4()}"
    with ThreadPoolExecutor(4) as pool:
        # Before the change: version 1 only.
        async with worker_for(client, engine, queue, [AppealWorkflow], pool):
            data = appeal_dict()
            old = await client.start_workflow(
                "AppealWorkflow", await registration(client, data), id=data["reg_number"], task_queue=queue
            )
            st = await until_state(old, "routed")
            assert st.table_version == CURRENT
        # A new worker takes the case over now, not after the old worker's sticky queue times out.
        await client.workflow_service.reset_sticky_task_queue(
            ResetStickyTaskQueueRequest(namespace=client.namespace, execution=WorkflowExecution(workflow_id=old.id))
        )
        recorded = await old.fetch_history()
        await Replayer(
            namespace="default", workflows=[AppealWorkflowV2], data_converter=data_converter()
        ).replay_workflow(recorded)

        # After the change: the same queue, a worker that knows version 2.
        async with worker_for(client, engine, queue, [AppealWorkflowV2], pool):
            st = await move(old, "accept", "housing-dept", "executor")  # the old version: no reason needed
            assert st.state == "under_consideration" and st.table_version == CURRENT

            data = appeal_dict()
            new = await client.start_workflow(
                "AppealWorkflow", await registration(client, data), id=data["reg_number"], task_queue=queue
            )
            st = await until_state(new, "routed")
            assert st.table_version == CURRENT + 1
            assert "requires the field 'reason'" in await refused(new, "accept", "housing-dept", "executor")
            st = await move(new, "accept", "housing-dept", "executor", reason="беру в работу")
            assert st.state == "under_consideration"
            for handle in (old, new):
                await move(handle, "withdraw", "reg-1", "registrar", reason="отозвано")
                await handle.result()
        replayer = Replayer(namespace="default", workflows=[AppealWorkflowV2], data_converter=data_converter())
        for handle in (old, new):  # both histories replay on the new code
            await replayer.replay_workflow(await handle.fetch_history())
