"""Fault harness: appeals through full lifecycles while workers, the server and the registry fail.

    .venv/bin/python bench/faults.py [--appeals 1000] [--workers 3] [--worker-kills 6] [--db URL]

Starts a dev server on a file database and N worker processes on a fresh registry (SQLite by
default; `--db postgresql+psycopg://...` for PostgreSQL), with the compressed `bench` timing
profile (a working day lasts 0.05 s, so reminders, escalations and disciplinary proposals fire
during the run). It drives M appeals (accept, answer, approve) and meanwhile:
- kills a random worker with SIGKILL at random moments and starts it again;
- kills the dev server once (SIGKILL) and starts it again on the same database;
- blocks the registry for a while (SQLite: an exclusive lock held by another connection;
  PostgreSQL: the registry's tables locked in ACCESS EXCLUSIVE mode).
At the end it prints: workflows started / completed / stuck; registry events against each case's
history (lost or written twice); duplicate notifications; failed workflow tasks; timers that fired
late and by how much. Reported, not run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

from bench.lifecycle import MOVES  # noqa: E402
from tooling import devserver  # noqa: E402
from tooling.client import data_converter  # noqa: E402
from tooling.seal import seal_as_named, seal_registration, staff  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    """The dev server and the workers, each a process this harness can kill and start again."""

    def __init__(self, tmp: Path, db_url: str, workers: int, worker_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.worker_args = list(worker_args)  # e.g. ("--processes", "2"): each worker a parent of N
        self.address = f"127.0.0.1:{self.port}"
        config = dict(devserver.load_config(), db_filename=str(tmp / "temporal.db"), frontend_port=self.port)
        config.update(ui=False, ui_port=free_port(), ip="127.0.0.1")
        self.server_cmd = [devserver.temporal_binary(), *devserver.server_args(config)]
        self.env = dict(os.environ, TEMPORAL_ADDRESS=self.address, DATABASE_URL=db_url, APPEALS_TIMING_PROFILE="bench")
        self.logs = tmp
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * workers

    def start_server(self) -> None:
        log = open(self.logs / "server.log", "ab")  # noqa: SIM115  (the process keeps it)
        self.server = subprocess.Popen(self.server_cmd, cwd=ROOT, stdout=log, stderr=log)
        devserver.wait_for_port("127.0.0.1", self.port, timeout=60)

    def start_worker(self, i: int) -> None:
        log = open(self.logs / f"worker-{i}.log", "ab")  # noqa: SIM115
        self.workers[i] = subprocess.Popen(
            [sys.executable, "worker.py", *self.worker_args], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )

    def kill(self, proc: subprocess.Popen[bytes] | None) -> None:
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop_worker(self, i: int) -> None:
        """SIGTERM and wait: a worker finishes its in-flight tasks (a parent of N, its children's)."""
        proc = self.workers[i]
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=120)

    def stop(self) -> None:
        for proc in [*self.workers, self.server]:
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def retrying(call: Any, what: str, seconds: float = 120.0) -> Any:
    """A client call through a server restart: retried until it goes through or time is up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call()
        except Exception as error:  # noqa: BLE001  (unavailable, timeouts: all retried, then raised)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: {error}") from error
            await asyncio.sleep(0.5)


async def drive(client: Client, number: str, outcome: dict[str, str]) -> None:
    from tests import factories

    appeal = seal_registration(factories.appeal_dict(reg_number=number), staff("registrar-1", "registrar"), "cli")
    handle = await retrying(
        lambda: client.start_workflow("AppealWorkflow", appeal, id=number, task_queue="appeals"), f"{number} start"
    )
    for trigger, payload in MOVES:
        await retrying(
            lambda t=trigger, p=payload: handle.signal(t, seal_as_named(p, case=number, trigger=t)),
            f"{number} {trigger}",
        )
    outcome[number] = "started"


async def chaos(
    stack: Stack, args: argparse.Namespace, registry: Path | None, done: asyncio.Event, log: list[str]
) -> None:
    """Worker kills spread over the run, one server kill, one registry block."""
    rng = random.Random(args.seed)
    events = [("worker", rng.uniform(5, args.chaos_seconds)) for _ in range(args.worker_kills)]
    events.append(("server", args.chaos_seconds * 0.4))
    events.append(("registry", args.chaos_seconds * 0.6))
    started = time.monotonic()
    for kind, at in sorted(events, key=lambda e: e[1]):
        await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
        if done.is_set():
            return
        if kind == "worker":
            i = rng.randrange(len(stack.workers))
            stack.kill(stack.workers[i])
            log.append(f"{time.monotonic() - started:6.1f}s SIGKILL worker {i}")
            await asyncio.sleep(1)
            stack.start_worker(i)
        elif kind == "server":
            stack.kill(stack.server)
            log.append(f"{time.monotonic() - started:6.1f}s SIGKILL dev server")
            await asyncio.sleep(3)
            stack.start_server()
            log.append(f"{time.monotonic() - started:6.1f}s dev server back")
        else:
            held = f"for {args.block_seconds}s"
            if registry is not None:
                blocker = sqlite3.connect(registry, timeout=60)
                blocker.execute("BEGIN EXCLUSIVE")
                log.append(f"{time.monotonic() - started:6.1f}s registry locked (SQLite, exclusive) {held}")
                await asyncio.sleep(args.block_seconds)
                blocker.rollback()
                blocker.close()
            else:
                from sqlalchemy import create_engine, text

                engine = create_engine(args.db)
                with engine.connect() as conn:
                    conn.execute(text("LOCK TABLE cases, events, notifications IN ACCESS EXCLUSIVE MODE"))
                    log.append(f"{time.monotonic() - started:6.1f}s registry locked (PostgreSQL tables) {held}")
                    await asyncio.sleep(args.block_seconds)
                    conn.rollback()
                engine.dispose()


async def verify(client: Client, numbers: list[str], db_url: str) -> dict[str, Any]:
    """Registry against histories, duplicates, failed tasks and timer lateness."""
    from sqlalchemy import text

    from models.registry import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        events: Counter[str] = Counter(
            {
                str(n): int(c)
                for n, c in conn.execute(text("SELECT reg_number, count(*) FROM events GROUP BY reg_number"))
            }
        )
        duplicate_notices = conn.execute(
            text("SELECT count(*) FROM (SELECT key FROM notifications GROUP BY key HAVING count(*) > 1) d")
        ).scalar_one()
    closed = stuck = mismatched = failed_tasks = 0
    lateness: list[float] = []
    for number in numbers:
        handle = client.get_workflow_handle(number)
        history = await retrying(lambda h=handle: h.fetch_history(), f"{number} history")
        timers: dict[int, float] = {}
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failed_tasks += 1
            elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                timeout = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
                timers[event.event_id] = event.event_time.ToDatetime().timestamp() + timeout
            elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
                due = timers.get(event.timer_fired_event_attributes.started_event_id)
                if due is not None:
                    lateness.append(max(0.0, event.event_time.ToDatetime().timestamp() - due))
        status = await retrying(lambda h=handle: h.query("status"), f"{number} status")
        if status["state"] == "closed":
            closed += 1
        else:
            stuck += 1
        recorded = 1 + len(status["history"])  # the registration event and each accepted move
        if events[number] != recorded:
            mismatched += 1
    lateness.sort()
    return {
        "closed": closed,
        "stuck": stuck,
        "registry_vs_history_mismatches": mismatched,
        "duplicate_notifications": duplicate_notices,
        "failed_workflow_tasks": failed_tasks,
        "timers": len(lateness),
        "timer_lateness_p50_s": statistics.median(lateness) if lateness else 0.0,
        "timer_lateness_p95_s": lateness[int(0.95 * (len(lateness) - 1))] if lateness else 0.0,
        "timer_lateness_max_s": lateness[-1] if lateness else 0.0,
    }


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        registry = None if args.db else tmp / "registry.db"
        db_url = args.db or f"sqlite:///{registry}"
        from models.registry import make_engine

        make_engine(db_url).dispose()  # the registry at the newest schema before any worker races to it
        stack = Stack(tmp, db_url, args.workers)
        stack.start_server()
        for i in range(args.workers):
            stack.start_worker(i)
        log: list[str] = []
        try:
            client = await Client.connect(stack.address, data_converter=data_converter())
            from runtime.registration import register_search_attributes

            await register_search_attributes(client)
            numbers = [f"APL-2026-{9_000_000 + i:07d}" for i in range(args.appeals)]
            outcome: dict[str, str] = {}
            done = asyncio.Event()
            started = time.perf_counter()
            faults = asyncio.create_task(chaos(stack, args, registry, done, log))
            gate = asyncio.Semaphore(50)

            async def one(number: str) -> None:
                async with gate:
                    await drive(client, number, outcome)

            await asyncio.gather(*(one(n) for n in numbers))
            # Wait for every case to close (or the time to run out: those are stuck).
            deadline = time.monotonic() + args.settle_seconds
            remaining = list(numbers)
            while remaining and time.monotonic() < deadline:
                still = []
                for number in remaining:
                    status = await retrying(lambda n=number: client.get_workflow_handle(n).query("status"), number)
                    if status["state"] != "closed":
                        still.append(number)
                remaining = still
                if remaining:
                    await asyncio.sleep(2)
            elapsed = time.perf_counter() - started
            done.set()
            await faults
            result = await verify(client, numbers, db_url)
        finally:
            stack.stop()
    print(f"fault harness: {args.appeals} appeals, {args.workers} workers, registry {db_url.split(':')[0]}")
    for line in log:
        print(f"  {line}")
    print(f"  all driven and settled in {elapsed:.0f} s")
    for key, value in result.items():
        print(f"  {key:<32} {value:.2f}" if isinstance(value, float) else f"  {key:<32} {value}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-kills", type=int, default=6)
    parser.add_argument("--chaos-seconds", type=float, default=60.0, help="faults are spread over this time")
    parser.add_argument("--block-seconds", type=float, default=10.0, help="how long the registry stays locked")
    parser.add_argument("--settle-seconds", type=float, default=600.0, help="how long cases may take to close")
    parser.add_argument("--db", default="", help="registry URL (default: a fresh SQLite file)")
    parser.add_argument("--seed", type=int, default=13)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
    sys.stdout.flush()
    os._exit(0)
