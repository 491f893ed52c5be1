"""The worker: runs every workflow kind and its activities on the `appeals` task queue.

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, APPEALS_TIMING_PROFILE, and the
worker's own settings (runtime/settings.py: threads, cache, pollers, shutdown, processes). SIGTERM
or Ctrl-C stop it gracefully: no new tasks are taken, in-flight activities run to their end (up to
APPEALS_SHUTDOWN_SECONDS), and the process exits 0.

`python worker.py --processes N` (or APPEALS_WORKER_PROCESSES=N) runs N worker processes on this
host: this process registers the search attributes and schedules once, keeps the schedules, starts
the N workers (`--child`), starts again one that dies, and passes SIGTERM on to all of them. One
Python process uses about one core at full load (issue 27), so N is the cores the host gives it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

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
from runtime.sandbox import workflow_runner
from runtime.settings import PROCESSES, SettingError, WorkerSettings, read
from tooling.client import TASK_QUEUE, connect
from tooling.worker_run import keep_schedules, prepare, stop_on_signals, stop_with_parent, supervise
from workflows.card_query import CaseCardInterceptor
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
    interceptors: Sequence[Interceptor] = (),
    workflows: Sequence[type] = WORKFLOWS,
) -> Worker:
    settings = settings or WorkerSettings.from_env({})  # the defaults: tests and benchmarks
    pool = pool or ThreadPoolExecutor(max_workers=settings.activity_threads)
    threads = pool._max_workers
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
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
        interceptors=[CaseCardInterceptor(), *interceptors],  # the card drawn when asked (issue 27)
    )


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="worker.py", description="The appeals worker (see the module's docstring).")
    parser.add_argument(
        "--processes", type=int, default=None, help=f"worker processes on this host ({PROCESSES.env}; default 1)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # started by a parent
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    for chatty in ("transitions", "alembic", "matplotlib"):  # their INFO lines are not the operator's business
        logging.getLogger(chatty).setLevel(logging.WARNING)
    workflow.logger.workflow_info_on_message = False  # our workflow log lines name their case themselves
    try:
        settings = WorkerSettings.from_env()
        processes = arguments.processes if arguments.processes is not None else read(PROCESSES)
        if processes < PROCESSES.minimum:
            raise SettingError(f"--processes: must be at least {PROCESSES.minimum}, got {processes}")
    except SettingError as error:
        print(f"worker: {error}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    if processes > 1 and not arguments.child:
        return await supervise(processes, settings, stop, os.path.abspath(__file__))
    watcher = asyncio.create_task(stop_with_parent(stop)) if arguments.child else None
    client = await connect()
    if not arguments.child:  # a parent did this for its children
        await prepare(client)
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
    keeper = asyncio.create_task(keep_schedules(client)) if not arguments.child else None
    async with build_worker(client, engine, settings=settings):
        await stop.wait()
        if keeper is not None:
            keeper.cancel()
        logging.info("waiting up to %.0f s for in-flight activities", settings.shutdown.total_seconds())
    if watcher is not None:
        watcher.cancel()
    engine.dispose()
    logging.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
