"""Running the worker (worker.py): the one-time preparation, the schedules kept, the signals that
stop it, and several worker processes on one host under one parent (issue 27.3)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time

from temporalio.client import Client

from runtime.registration import register_search_attributes
from runtime.settings import WorkerSettings
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


async def prepare(client: Client) -> None:
    """What one process does for all: the search attributes and the schedules."""
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


async def stop_with_parent(stop: asyncio.Event, every: float = 2.0) -> None:
    """A child stops as on SIGTERM when its parent is gone (killed outright, it could not pass the
    signal on): the child is then adopted by another process."""
    parent = os.getppid()
    while not stop.is_set():
        await asyncio.sleep(every)
        if os.getppid() != parent:
            logging.warning("the parent process %d is gone: stopping", parent)
            stop.set()


# A worker process that dies is started again after this long, doubling while it keeps dying within
# a minute of its start (a bad setting or an unreachable server must not spin the host).
RESTART_SECONDS, RESTART_CEILING = 1.0, 60.0


async def supervise(processes: int, settings: WorkerSettings, stop: asyncio.Event, worker_script: str) -> int:
    """Run `processes` worker processes and keep them running until `stop`; then pass SIGTERM on,
    wait for each to finish its in-flight work, and exit 0 if every one exited 0."""
    client = await connect()
    await prepare(client)
    keeper = asyncio.create_task(keep_schedules(client))
    command = [sys.executable, worker_script, "--child"]
    children: dict[int, asyncio.subprocess.Process] = {}
    delays = dict.fromkeys(range(processes), RESTART_SECONDS)

    async def run(slot: int) -> int:
        while True:
            started = time.monotonic()
            # Its own session: a Ctrl-C at the terminal reaches the parent only, which passes one
            # SIGTERM on (a second signal would stop a worker without waiting for its activities).
            child = await asyncio.create_subprocess_exec(*command, start_new_session=True)
            children[slot] = child
            logging.info("worker process %d of %d started: pid %d", slot + 1, processes, child.pid)
            code = await child.wait()
            if stop.is_set():
                return code
            delays[slot] = (
                RESTART_SECONDS if time.monotonic() - started > 60 else min(delays[slot] * 2, RESTART_CEILING)
            )
            logging.warning(
                "worker process %d (pid %d) exited with %s; starting it again in %.0f s",
                slot + 1, child.pid, code, delays[slot],
            )  # fmt: skip
            try:
                await asyncio.wait_for(stop.wait(), delays[slot])
                return code
            except TimeoutError:
                continue

    runs = [asyncio.create_task(run(slot)) for slot in range(processes)]
    await stop.wait()
    keeper.cancel()
    for child in children.values():
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    grace = settings.shutdown.total_seconds() + 30
    done, pending = await asyncio.wait(runs, timeout=grace)
    for child in children.values():
        if child.returncode is None:
            logging.error("worker process pid %d still running %.0f s after SIGTERM: killed", child.pid, grace)
            child.kill()
    codes = [task.result() for task in done] + [1] * len(pending)
    logging.info("worker processes stopped: exit codes %s", codes)
    return 0 if all(code == 0 for code in codes) else 1
