"""The worker: runs every workflow kind and its activities on the `appeals` task queue.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, APPEALS_TIMING_PROFILE, and the
worker's own settings (runtime/settings.py: threads, cache, pollers, shutdown). SIGTERM or Ctrl-C
stop it gracefully: no new tasks are taken, in-flight activities run to their end (up to
APPEALS_SHUTDOWN_SECONDS), and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from activities.deliveries import DeliveryActivities
from activities.instructions import InstructionActivities
from activities.mail import smtp_settings
from activities.notifications import NotificationActivities
from activities.outbox import OutboxActivities
from activities.policy import ACTIVITIES as POLICY_ACTIVITIES
from activities.receptions import ReceptionActivities, read_instruction
from activities.reconciliation import ReconciliationActivities
from activities.registry import OutsideResetActivities, RegistryActivities
from activities.reports import ReportActivities
from activities.sms import sms_settings
from models.registry import make_engine
from runtime.registration import register_search_attributes
from runtime.sandbox import workflow_runner
from runtime.settings import SettingError, WorkerSettings
from tooling.client import TASK_QUEUE, connect
from tooling.schedules import (
    HALF_YEAR_SCHEDULE_ID,
    OUTBOX_SCHEDULE_ID,
    RECONCILIATION_SCHEDULE_ID,
    ensure_half_year_schedule,
    ensure_outbox_schedule,
    ensure_reconciliation_schedule,
    ensure_report_schedules,
    reconcile_schedules,
)
from workflows.kinds import WORKFLOWS


def all_activities(engine: Engine, client: Client | None = None) -> list[Any]:
    """Every activity; the reconciliation's needs a Temporal client (the worker's)."""
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
        OutsideResetActivities(engine).record_outside_reset,
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
        *([ReconciliationActivities(engine, client).reconcile_cases] if client is not None else []),
        OutboxActivities(engine, smtp_settings(), sms_settings()).relay_outbox,
        DeliveryActivities(engine).read_deliveries,
    ]


def build_worker(
    client: Client,
    engine: Engine,
    task_queue: str = TASK_QUEUE,
    pool: ThreadPoolExecutor | None = None,
    settings: WorkerSettings | None = None,
) -> Worker:
    settings = settings or WorkerSettings.from_env({})  # the defaults: tests and benchmarks
    pool = pool or ThreadPoolExecutor(max_workers=settings.activity_threads)
    threads = pool._max_workers
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=all_activities(engine, client),
        activity_executor=pool,
        workflow_runner=workflow_runner(),  # our deterministic modules imported once per process
        # As many activity slots as threads: a queued activity must not spend its start-to-close
        # timeout waiting for a thread (temporal-notes.md).
        max_concurrent_activities=threads,
        max_concurrent_local_activities=threads,
        max_concurrent_workflow_tasks=settings.workflow_tasks,
        max_cached_workflows=settings.workflow_cache,
        max_concurrent_workflow_task_polls=settings.pollers,
        max_concurrent_activity_task_polls=settings.pollers,
        graceful_shutdown_timeout=settings.shutdown,
    )


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (the first one; a second one is left to the default)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping(sig: signal.Signals) -> None:
        logging.info("%s: stopping; in-flight tasks may finish", sig.name)
        stop.set()
        for each in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(each)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping, sig)
    return stop


# How often the worker puts back the engine's schedules if someone deleted, paused or changed them
# on the Web UI's Schedules page (issue 20): the bound on how long a weekly digest can be missing.
SCHEDULE_CHECK_SECONDS = 300


async def keep_schedules(client: Client, every: float = SCHEDULE_CHECK_SECONDS) -> None:
    """Restore the engine's schedules periodically, logging each one restored and why."""
    while True:
        await asyncio.sleep(every)
        try:
            for line in await reconcile_schedules(client, TASK_QUEUE):
                logging.warning("schedule changed outside the engine: %s", line)
        except Exception as error:  # the server unreachable for a while: try again at the next check
            logging.warning("schedules not checked: %s", error)


async def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("transitions", "alembic", "matplotlib"):  # their INFO lines are not the operator's business
        logging.getLogger(chatty).setLevel(logging.WARNING)
    workflow.logger.workflow_info_on_message = False  # our workflow log lines name their case themselves
    try:
        settings = WorkerSettings.from_env()
    except SettingError as error:
        print(f"worker: {error}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    client = await connect()
    added = await register_search_attributes(client)
    if added:
        logging.info("registered search attributes: %s", ", ".join(added))
    if await ensure_half_year_schedule(client, TASK_QUEUE):
        logging.info("created the half-year report schedule %r", HALF_YEAR_SCHEDULE_ID)
    for schedule_id in await ensure_report_schedules(client, TASK_QUEUE):
        logging.info("created the report schedule %r", schedule_id)
    if await ensure_reconciliation_schedule(client, TASK_QUEUE):
        logging.info("created the reconciliation schedule %r", RECONCILIATION_SCHEDULE_ID)
    if await ensure_outbox_schedule(client, TASK_QUEUE):
        logging.info("created the outbox relay's schedule %r", OUTBOX_SCHEDULE_ID)
    smtp = smtp_settings()
    logging.info("outbox: e-mail %s", f"through {smtp!r}" if smtp else "waits queued (APPEALS_SMTP_HOST unset)")
    engine = make_engine(pool_size=settings.activity_threads)
    logging.info(
        "worker on task queue %r, namespace %r, registry %s; %d activity threads, cache %d, %d pollers",
        TASK_QUEUE,
        client.namespace,
        engine.url,
        settings.activity_threads,
        settings.workflow_cache,
        settings.pollers,
    )
    keeper = asyncio.create_task(keep_schedules(client))
    async with build_worker(client, engine, settings=settings):
        await stop.wait()
        keeper.cancel()
        logging.info("waiting up to %.0f s for in-flight activities", settings.shutdown.total_seconds())
    engine.dispose()
    logging.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
