"""The worker's workflow runner (runtime.sandbox) keeps the sandbox's guarantees: a workflow that
reads the clock or opens a file fails its task, while well-behaved work, encrypted payloads
included, runs as before."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.sandbox import workflow_runner
from tests.sandbox_probe import ClockReader, FileOpener, WellBehaved, probe_echo
from tooling.client import data_converter
from tooling.devserver import local_environment


async def first_task_failure(handle: WorkflowHandle) -> str:
    """`type: message` of the workflow's first failed task, waiting for it to happen."""
    for _ in range(100):
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failure = event.workflow_task_failed_event_attributes.failure
                return f"{failure.application_failure_info.type}: {failure.message}"
        await asyncio.sleep(0.1)
    return ""


def probe_worker(env: WorkflowEnvironment, queue: str, pool: ThreadPoolExecutor) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[ClockReader, FileOpener, WellBehaved],
        activities=[probe_echo],
        activity_executor=pool,
        workflow_runner=workflow_runner(),
    )


async def test_the_sandbox_still_stops_the_clock_and_files() -> None:
    """On a dev server of its own: a workflow task left failing would hold a time-skipping
    server's clock for the tests after it."""
    queue = f"sandbox-{uuid.uuid4()}"
    server = await local_environment(data_converter=data_converter())
    try:
        with ThreadPoolExecutor(2) as pool:
            async with probe_worker(server, queue, pool):
                for workflow, rule in ((ClockReader.run, "datetime.datetime.now"), (FileOpener.run, "open")):
                    handle = await server.client.start_workflow(workflow, id=f"probe-{uuid.uuid4()}", task_queue=queue)
                    message = await first_task_failure(handle)
                    assert message.startswith("RestrictedWorkflowAccessError") and rule in message, message
                    await handle.terminate("probe done")
    finally:
        await server.shutdown()


async def test_well_behaved_work_runs_with_encrypted_payloads(env: WorkflowEnvironment) -> None:
    queue = f"sandbox-{uuid.uuid4()}"
    with ThreadPoolExecutor(2) as pool:
        async with probe_worker(env, queue, pool):
            handle = await env.client.start_workflow(
                WellBehaved.run, "привет", id=f"probe-{uuid.uuid4()}", task_queue=queue
            )
            result = await handle.result()
    assert result.startswith("привет at ")
    events = [e async for e in handle.fetch_history_events()]
    started = events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] != b"json/plain"  # the codec ran
    assert not [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
