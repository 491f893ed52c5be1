"""Schedules changed outside the engine come back (issue 20, attack 7: a deleted weekly digest stayed
deleted until the next worker start)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
from temporalio.client import ScheduleCalendarSpec, ScheduleRange, ScheduleSpec, ScheduleUpdate, ScheduleUpdateInput
from temporalio.testing import WorkflowEnvironment

from tooling.schedules import engine_schedules, reconcile_schedules


async def test_deleted_paused_and_changed_schedules_are_restored_and_named(dev_env: WorkflowEnvironment) -> None:
    client = dev_env.client
    queue = f"schedules-{uuid.uuid4()}"
    first = await reconcile_schedules(client, queue)
    assert len(first) == len(engine_schedules(queue)) and all("created again" in line for line in first)
    assert await reconcile_schedules(client, queue) == []  # ours as they are: nothing to restore
    ids = list(engine_schedules(queue))
    await client.get_schedule_handle(ids[0]).delete()
    await client.get_schedule_handle(ids[1]).pause(note="paused from the Web UI")

    def every_minute(given: ScheduleUpdateInput) -> ScheduleUpdate:
        changed = ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(0, 23)])], time_zone_name="UTC")
        return ScheduleUpdate(schedule=dataclasses.replace(given.description.schedule, spec=changed))

    await client.get_schedule_handle(ids[2]).update(every_minute)
    restored = await reconcile_schedules(client, queue)
    assert restored == [
        f"{ids[0]}: it was missing (deleted?): created again",
        f"{ids[1]}: it was paused: restored",
        f"{ids[2]}: its times: restored",
    ]
    assert await reconcile_schedules(client, queue) == []
    for schedule_id in ids:
        await client.get_schedule_handle(schedule_id).delete()


async def test_the_worker_puts_a_deleted_schedule_back_and_logs_it(
    dev_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    from tooling import worker_run
    from tooling.schedules import HALF_YEAR_SCHEDULE_ID

    client = dev_env.client
    await reconcile_schedules(client, worker_run.TASK_QUEUE)
    await client.get_schedule_handle(HALF_YEAR_SCHEDULE_ID).delete()
    keeper = asyncio.create_task(worker_run.keep_schedules(client, every=0.2))
    try:
        for _ in range(100):
            if any("created again" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
    finally:
        keeper.cancel()
    assert any(
        f"schedule changed outside the engine: {HALF_YEAR_SCHEDULE_ID}: it was missing" in r.getMessage()
        for r in caplog.records
    )
    assert (await client.get_schedule_handle(HALF_YEAR_SCHEDULE_ID).describe()).id == HALF_YEAR_SCHEDULE_ID
