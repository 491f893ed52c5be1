"""The worker: runs every workflow kind and its activities on the `appeals` task queue.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, APPEALS_TIMING_PROFILE.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.instructions import InstructionActivities
from activities.notifications import NotificationActivities
from activities.policy import ACTIVITIES as POLICY_ACTIVITIES
from activities.receptions import ReceptionActivities, read_instruction
from activities.registry import RegistryActivities
from activities.reports import ReportActivities
from models.registry import POOL_SIZE, make_engine
from runtime.client import TASK_QUEUE, connect
from runtime.registration import register_search_attributes
from runtime.sandbox import workflow_runner
from runtime.schedules import HALF_YEAR_SCHEDULE_ID, ensure_half_year_schedule, ensure_report_schedules
from workflows.kinds import WORKFLOWS


def all_activities(engine: Engine) -> list[Any]:
    registry = RegistryActivities(engine)
    notifications = NotificationActivities(engine)
    receptions = ReceptionActivities(engine)
    instructions = InstructionActivities(engine)
    reports = ReportActivities(engine)
    return [
        *POLICY_ACTIVITIES,
        registry.register_case,
        registry.record_event,
        registry.commit_move,
        notifications.send_notification,
        notifications.draft_disciplinary_proposal,
        receptions.book_slot,
        receptions.release_slot,
        receptions.check_instructions,
        read_instruction,
        instructions.check_executors,
        instructions.draft_instruction_proposal,
        instructions.set_proposal_status,
        instructions.write_conclusion,
        instructions.write_half_year_report,
        reports.write_report,
        reports.send_digest,
    ]


ACTIVITY_THREADS = POOL_SIZE  # one registry connection per activity thread


def build_worker(
    client: Client, engine: Engine, task_queue: str = TASK_QUEUE, pool: ThreadPoolExecutor | None = None
) -> Worker:
    pool = pool or ThreadPoolExecutor(max_workers=ACTIVITY_THREADS)
    threads = pool._max_workers
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=all_activities(engine),
        activity_executor=pool,
        workflow_runner=workflow_runner(),  # our deterministic modules imported once per process
        # As many activity slots as threads: a queued activity must not spend its start-to-close
        # timeout waiting for a thread (temporal-notes.md).
        max_concurrent_activities=threads,
        max_concurrent_local_activities=threads,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)
    client = await connect()
    added = await register_search_attributes(client)
    if added:
        logging.info("registered search attributes: %s", ", ".join(added))
    if await ensure_half_year_schedule(client, TASK_QUEUE):
        logging.info("created the half-year report schedule %r", HALF_YEAR_SCHEDULE_ID)
    for schedule_id in await ensure_report_schedules(client, TASK_QUEUE):
        logging.info("created the report schedule %r", schedule_id)
    engine = make_engine()
    logging.info("worker on task queue %r, namespace %r, registry %s", TASK_QUEUE, client.namespace, engine.url)
    await build_worker(client, engine).run()


if __name__ == "__main__":
    asyncio.run(main())
