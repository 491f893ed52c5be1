"""A move sent while the case's workflow task is being retried waits for the case instead of failing.

The server refuses Updates with "Workflow Task in failed state" (WorkflowNotReady) while a case's
last workflow task failed or timed out and the next one has not completed; the SDK does not retry
that. Seen in bench/lifecycle.py (issue 27): a cold worker with 100 appeals started at once timed
out its first workflow tasks, and the staff's moves were refused. Here a worker that fails every
workflow task holds the case in that state, then the real worker takes over while the move waits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio import workflow
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from runtime.registration import register_search_attributes
from tests import factories
from tests.test_no_wedge import failed_tasks
from tooling import devserver
from tooling.client import data_converter, not_ready, transition
from tooling.seal import seal_registration, staff
from worker import build_worker

EXECUTOR = "housing-dept"


@workflow.defn(name="AppealWorkflow")
class BrokenAppeal:
    """A worker with a defect: every workflow task of the case fails."""

    @workflow.run
    async def run(self, arg: Any) -> None:
        raise RuntimeError("a defect in this worker's build")


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of this module's own, whose server holds an Update for 3 s (not the default 20 s)
    before it refuses it as not ready: the refusal this module shows, without 20 s of waiting."""
    env = await devserver.local_environment(
        data_converter=data_converter(), dynamic_config={"history.longPollExpirationInterval": "3s"}
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


async def held_not_ready(env: WorkflowEnvironment, queue: str) -> WorkflowHandle[Any, Any]:
    """A case whose first workflow task failed on a broken worker, now gone."""
    appeal = factories.appeal_dict(reg_number=factories.new_reg_number())
    sealed = seal_registration(appeal, staff("registrar-1", "registrar"), "cli")
    broken = Worker(env.client, task_queue=queue, workflows=[BrokenAppeal], workflow_runner=UnsandboxedWorkflowRunner())
    async with broken:
        handle = await env.client.start_workflow(  # a short task timeout: the lost task comes back soon
            "AppealWorkflow", sealed, id=appeal["reg_number"], task_queue=queue, task_timeout=timedelta(seconds=2)
        )
        for _ in range(200):
            if await failed_tasks(handle):
                break
            await asyncio.sleep(0.05)
    assert await failed_tasks(handle) == 1
    return handle


async def test_a_move_waits_while_the_case_is_not_ready(dev_env: WorkflowEnvironment, engine: Engine) -> None:
    queue = f"tq-{uuid.uuid4()}"
    handle = await held_not_ready(dev_env, queue)
    with pytest.raises(RPCError) as refused:  # what the SDK alone does: refused once the server stops holding it
        await handle.execute_update("status_check", None)
    assert not_ready(refused.value), refused.value

    move = asyncio.create_task(transition(handle, "accept", staff(EXECUTOR, "executor"), "executor"))
    await asyncio.sleep(1.0)
    assert not move.done()  # waiting, not refused
    with ThreadPoolExecutor(8) as pool:
        async with build_worker(dev_env.client, engine, task_queue=queue, pool=pool):
            moved = await asyncio.wait_for(move, timeout=60)
            assert moved.state == "under_consideration"
            history = await handle.fetch_history()
            accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
            assert len(accepted) == 1  # the move made once, whatever the tries
            await handle.terminate("test over")


async def test_other_refusals_are_not_retried(dev_env: WorkflowEnvironment) -> None:
    """A case that does not exist is refused at once, as before."""
    handle = dev_env.client.get_workflow_handle(f"APL-2026-{uuid.uuid4().int % 10**8:08d}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(RPCError) as refused:
        await transition(handle, "accept", staff(EXECUTOR, "executor"), "executor")
    assert not not_ready(refused.value)
    assert loop.time() - started < 5
