"""Benchmark: N appeals through a full lifecycle vs a bare workflow, on the local dev server.

    .venv/bin/python bench/lifecycle.py [--n 200] [--concurrency 100]

Starts one dev server (file persistence with the WAL pragmas from temporal-dev.yaml), then runs
each variant in its own worker process so peak memory is measured per variant. Prints
appeals/s, bare workflows/s, their ratio, peak worker RSS and history events per workflow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from temporalio.client import Client, WorkflowUpdateFailedError  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from models.case_status import CaseStatus  # noqa: E402
from runtime.settings import ACTIVITY_THREADS  # noqa: E402
from tooling.client import data_converter, transition  # noqa: E402
from tooling.devserver import local_environment  # noqa: E402
from tooling.seal import seal_as_named, seal_registration, staff  # noqa: E402
from tooling.trail import LOCAL_ACTIVITY_MARKER  # noqa: E402

EXECUTOR = "housing-dept"
# The fixed naive reference (issue 11): an appeal-shaped bare workflow of 4 signals and 5 activities.
NAIVE_SIGNALS, NAIVE_ACTIVITIES = 4, 5
POSTED = "RA000000001KZ"  # the post's tracking number of the handed-over answer
MOVES: list[tuple[str, dict[str, Any]]] = [
    ("accept", {"actor": {"id": EXECUTOR, "role": "executor"}}),
    (
        "submit_answer",
        {"actor": {"id": EXECUTOR, "role": "executor"}, "answer_text": "Ответ.", "answer_character": "explained"},
    ),
    ("approve", {"actor": {"id": "head-1", "role": "head"}}),
]


async def serve(args: argparse.Namespace) -> None:
    """A worker process alone on the benchmark's queue (`--serve QUEUE`), until SIGTERM; it prints
    its CPU time and peak RSS."""
    import signal

    from models.registry import make_engine
    from worker import build_worker

    client = await Client.connect(args.address, data_converter=data_converter())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    with ThreadPoolExecutor(ACTIVITY_THREADS.default) as pool:
        async with build_worker(client, make_engine(args.db), task_queue=args.serve, pool=pool):
            print("SERVING", flush=True)
            await stop.wait()
    print("RESULT " + json.dumps(process_usage()), flush=True)


def process_usage() -> dict[str, float]:
    """This process's CPU seconds with its letters' process's (activities/pdf_letters.py: stopped
    first, so that its time counts), and both peak RSS figures."""
    from activities.pdf_letters import stop_letters_process

    stop_letters_process()
    usage, letters = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime + letters.ru_utime + letters.ru_stime
    return {"cpu_s": cpu, "peak_rss_mb": usage.ru_maxrss / 1024, "letters_rss_mb": letters.ru_maxrss / 1024}


async def explain_refusal(handle: Any, trigger: str) -> None:
    """A refused move fails the run; what the case says of itself goes to the run's log first
    (once a run refused most `accept`s with no executor assigned, and did not say why)."""
    try:
        st = await handle.query("status", result_type=CaseStatus)
    except Exception as err:  # the case cannot answer: say so, the refusal is raised anyway
        print(f"{handle.id}: {trigger} refused; status unavailable: {err}", file=sys.stderr, flush=True)
        return
    print(
        f"{handle.id}: {trigger} refused in state {st.state!r}, executor {st.executor!r}; "
        f"failed effects {st.failed_effects}; last timeline {st.timeline[-3:]}; "
        f"moves {[m.trigger for m in st.history]}",
        file=sys.stderr,
        flush=True,
    )


async def run_appeals(
    client: Client, n: int, concurrency: int, db_url: str, processes: int = 0, address: str = ""
) -> dict[str, Any]:
    """N appeals through their lifecycle; the worker in this process, or in `processes` worker
    processes of their own (issue 27.3: the scale-out by process)."""
    from models.registry import make_engine
    from tests import factories
    from worker import build_worker
    from workflows.appeal import AppealWorkflow

    engine = make_engine(db_url)
    queue = f"bench-appeals-{uuid.uuid4()}"
    gate = asyncio.Semaphore(concurrency)
    ids: list[str] = []

    async def one(i: int) -> None:
        async with gate:
            # A number runs once (the registry refuses a second start): every run takes fresh ones.
            appeal = factories.appeal_dict(reg_number=factories.new_reg_number())
            ids.append(appeal["reg_number"])
            sealed = seal_registration(appeal, staff("registrar-1", "registrar"), "cli")
            handle = await client.start_workflow(
                AppealWorkflow.run, sealed, id=f"{appeal['reg_number']}", task_queue=queue
            )
            # The moves as the workbench and the CLI make them: the `transition` Update, each waiting
            # for the case to take it. Table v7 (issue 24): an approved answer closes the appeal when
            # it reaches the applicant; here the registry office hands the letter over (`mark_posted`).
            for trigger, payload in MOVES:
                actor = payload["actor"]
                fields = {k: v for k, v in payload.items() if k != "actor"}
                try:
                    moved = await transition(
                        handle, trigger, staff(actor["id"], actor["role"]), actor["role"], **fields
                    )
                except WorkflowUpdateFailedError:
                    await explain_refusal(handle, trigger)
                    raise
            letter = moved.appeal.answer_letter
            await transition(
                handle,
                "mark_posted",
                staff("reg-1", "registrar"),
                "registrar",
                details={"notice": letter, "tracking": POSTED},
            )
            result = await asyncio.wait_for(handle.result(), timeout=300)  # a stuck case fails the run, not hangs it
            assert result.state == "closed", result.state

    if processes:
        command = [sys.executable, __file__, "--serve", queue, "--address", address, "--db", db_url]
        workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
        for worker in workers:  # each polls the queue before the first start
            assert worker.stdout is not None and worker.stdout.readline().strip() == "SERVING"
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - started
        reports = []
        for worker in workers:
            worker.terminate()
            out, _ = worker.communicate(timeout=120)
            reports += [
                json.loads(line.removeprefix("RESULT ")) for line in out.splitlines() if line.startswith("RESULT ")
            ]
        shape = await history_shape(client, ids)
        return {
            "elapsed": elapsed,
            "per_s": n / elapsed,
            **shape,
            "worker_cpu_ms_total": 1000 * sum(r["cpu_s"] for r in reports) / n,
            "worker_peak_rss_mb": max(r["peak_rss_mb"] for r in reports),
        }
    with ThreadPoolExecutor(ACTIVITY_THREADS.default) as pool:
        async with build_worker(client, engine, task_queue=queue, pool=pool):
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            elapsed = time.perf_counter() - started
    shape = await history_shape(client, ids)
    return {"elapsed": elapsed, "per_s": n / elapsed, **shape}


async def history_shape(client: Client, ids: list[str]) -> dict[str, Any]:
    """Events and activities per workflow (mean over all), and every activity that timed out or
    ran more than once, server-side or local."""
    events = activities = timeouts = retried = 0
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        events += len(history.events)
        for e in history.events:
            kind = e.WhichOneof("attributes")
            if kind == "activity_task_scheduled_event_attributes":
                activities += 1
            elif kind == "activity_task_timed_out_event_attributes":
                timeouts += 1
            elif kind == "activity_task_started_event_attributes":
                retried += e.activity_task_started_event_attributes.attempt > 1
            elif kind == "marker_recorded_event_attributes":
                marker = e.marker_recorded_event_attributes
                if marker.marker_name != LOCAL_ACTIVITY_MARKER:
                    continue
                activities += 1
                retried += int(json.loads(marker.details["data"].payloads[0].data).get("attempt", 1)) > 1
                timeouts += marker.HasField("failure") and "timeout" in marker.failure.message.lower()
    return {
        "events": events / len(ids),
        "activities": activities / len(ids),
        "activity_timeouts": timeouts,
        "activity_retries": retried,
    }


async def run_receptions(client: Client, n: int, concurrency: int, db_url: str) -> dict[str, Any]:
    """N receptions: schedule, hold with two instructions, each instruction accepted, answered and
    approved (child appeal workflows), then closed."""
    from activities.receptions import create_slots
    from models.registry import make_engine
    from policies import calendar
    from tests.test_reception import reception_dict
    from worker import build_worker
    from workflows.reception import ReceptionWorkflow

    engine = make_engine(db_url)
    queue = f"bench-receptions-{uuid.uuid4()}"
    gate = asyncio.Semaphore(concurrency)
    from datetime import timedelta

    from policies.calendar import local_today
    from runtime.clock import utc_now

    today = local_today()
    slots: list[Any] = []
    day = today
    while len(slots) < n:  # housing-head receives on working days 09:00-18:00: 54 ten-minute slots a day
        day = calendar.next_working_day(day + timedelta(days=1))
        slots += create_slots(engine, "housing-head", day, "09:00", "18:00", 10)
    ids: list[str] = []

    async def one(i: int) -> None:
        async with gate:
            number = f"RCP-2026-{uuid.uuid4().int % 10**8:08d}"
            ids.append(number)
            sealed = seal_registration(reception_dict(number, utc_now()), staff("reg-1", "registrar"), "cli")
            handle = await client.start_workflow(ReceptionWorkflow.run, sealed, id=number, task_queue=queue)
            await transition(handle, "schedule", staff("reg-1", "registrar"), target=str(slots[i].slot_id))
            specs = [
                {"executor": "housing-dept", "text": "Откачать воду.", "term_working_days": 5},
                {"executor": "roads-dept", "text": "Засыпать яму.", "term_working_days": 5},
            ]
            await transition(
                handle,
                "hold",
                staff("housing-head", "official"),
                answer_text="Поручено.",
                details={"instructions": specs},
            )
            for k, executor in ((1, "housing-dept"), (2, "roads-dept")):
                child = client.get_workflow_handle(f"{number}-{k}")
                for _ in range(200):
                    if (await child.query("status"))["state"] == "routed":
                        break
                    await asyncio.sleep(0.05)
                await child.signal(
                    "accept",
                    seal_as_named({"actor": {"id": executor, "role": "executor"}}, case=child.id, trigger="accept"),
                )
                answer = {"actor": {"id": executor, "role": "executor"}, "answer_text": "Сделано."}
                await child.signal(
                    "submit_answer",
                    seal_as_named({**answer, "answer_character": "satisfied"}, case=child.id, trigger="submit_answer"),
                )
                await child.signal(
                    "approve",
                    seal_as_named({"actor": {"id": "head-1", "role": "head"}}, case=child.id, trigger="approve"),
                )
            for _ in range(400):
                if (await handle.query("status"))["state"] == "answered":
                    break
                await asyncio.sleep(0.05)
            await transition(handle, "close", staff("ctl-1", "controller"))
            await handle.result()

    with ThreadPoolExecutor(ACTIVITY_THREADS.default) as pool:
        async with build_worker(client, engine, task_queue=queue, pool=pool):
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            elapsed = time.perf_counter() - started
    parent = await client.get_workflow_handle(ids[0]).fetch_history()
    child = await client.get_workflow_handle(f"{ids[0]}-1").fetch_history()
    activities = sum(1 for e in parent.events if e.HasField("activity_task_scheduled_event_attributes"))
    return {
        "elapsed": elapsed,
        "per_s": n / elapsed,
        "events": len(parent.events),
        "activities": activities,
        "child_events": len(child.events),
    }


async def run_bare(client: Client, n: int, concurrency: int, activities: int, signals: int) -> dict[str, Any]:
    from bench.bare_workflow import BareWorkflow, bare_noop

    queue = f"bench-bare-{uuid.uuid4()}"
    gate = asyncio.Semaphore(concurrency)
    ids: list[str] = []

    async def one(i: int) -> None:
        async with gate:
            handle = await client.start_workflow(
                BareWorkflow.run, args=[activities, signals], id=f"bare-{uuid.uuid4()}", task_queue=queue
            )
            ids.append(handle.id)
            for k in range(signals):
                trigger, payload = MOVES[k % len(MOVES)]
                await handle.signal("move", {"trigger": trigger, **payload})
            await handle.result()

    with ThreadPoolExecutor(ACTIVITY_THREADS.default) as pool:
        async with Worker(
            client, task_queue=queue, workflows=[BareWorkflow], activities=[bare_noop], activity_executor=pool
        ):
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            elapsed = time.perf_counter() - started
    shape = await history_shape(client, ids[:50])
    return {"elapsed": elapsed, "per_s": n / elapsed, **shape}


async def child(args: argparse.Namespace) -> None:
    client = await Client.connect(args.address, data_converter=data_converter())
    if args.child == "appeal":
        result = await run_appeals(client, args.n, args.concurrency, args.db, args.worker_processes, args.address)
    elif args.child == "reception":
        result = await run_receptions(client, args.n, args.concurrency, args.db)
    else:
        result = await run_bare(client, args.n, args.concurrency, args.activities, args.signals)
    usage = process_usage()
    result["peak_rss_mb"], result["letters_rss_mb"] = usage["peak_rss_mb"], usage["letters_rss_mb"]
    result["worker_cpu_ms"] = 1000 * usage["cpu_s"] / args.n  # per workflow, with its letters' process
    print("RESULT " + json.dumps(result), flush=True)


def run_child(
    variant: str,
    address: str,
    n: int,
    concurrency: int,
    db: str,
    activities: int = 0,
    signals: int = 0,
    processes: int = 0,
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        *(["--worker-processes", str(processes)] if processes else []),
        "--child",
        variant,
        "--address",
        address,
        "--n",
        str(n),
        "--concurrency",
        str(concurrency),
        "--db",
        db,
        "--activities",
        str(activities),
        "--signals",
        str(signals),
    ]
    log = Path(tempfile.gettempdir()) / f"lifecycle-{variant}-{processes}.log"  # the run's whole stderr
    with open(log, "w") as errors:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line.removeprefix("RESULT ")))
    raise RuntimeError(f"{variant} run failed (exit {proc.returncode}):\n{log.read_text()[-3000:]}\n(all of it: {log})")


async def parent(args: argparse.Namespace) -> None:

    from runtime.registration import register_search_attributes

    with tempfile.TemporaryDirectory() as tmp:
        env = await local_environment(f"{tmp}/temporal.db", data_converter())
        try:
            await register_search_attributes(env.client)
            address = env.client.service_client.config.target_host
            db = f"sqlite:///{tmp}/registry.db"
            run_child("appeal", address, 5, 5, db)  # warm-up: server caches, SQLite files
            appeal = run_child("appeal", address, args.n, args.concurrency, db)
            same = run_child("bare", address, args.n, args.concurrency, db, round(appeal["activities"]), len(MOVES) + 1)
            naive = run_child("bare", address, args.n, args.concurrency, db, NAIVE_ACTIVITIES, NAIVE_SIGNALS)
            reception = (
                run_child("reception", address, args.receptions, min(args.concurrency, 25), db)
                if args.receptions
                else None
            )
            by_processes = {
                count: run_child("appeal", address, args.n, args.concurrency, db, processes=count)
                for count in args.processes
            }
        finally:
            await env.shutdown()
    print(f"lifecycle benchmark: N={args.n}, {args.concurrency} in flight, {os.cpu_count()} cores, dev server with WAL")
    print(
        f"{'variant':<24}{'per s':>8}{'elapsed s':>11}{'peak RSS MB':>13}{'events/wf':>11}{'activities/wf':>15}"
        f"{'timeouts':>10}{'retries':>9}{'worker CPU ms/wf':>18}"
    )
    rows = (
        ("appeal (full lifecycle)", appeal),
        ("bare, same shape", same),
        (f"bare, naive {NAIVE_SIGNALS}s+{NAIVE_ACTIVITIES}a", naive),
    )
    for name, r in rows:
        print(
            f"{name:<24}{r['per_s']:>8.1f}{r['elapsed']:>11.1f}{r['peak_rss_mb']:>13.0f}{r['events']:>11.1f}"
            f"{r['activities']:>15.1f}{r['activity_timeouts']:>10}{r['activity_retries']:>9}"
            f"{r['worker_cpu_ms']:>18.1f}"
        )
    print(f"ratio appeal / bare of the same shape: {appeal['per_s'] / same['per_s']:.2f}   (goal >= 0.8)")
    print(f"ratio appeal / naive bare shape:       {appeal['per_s'] / naive['per_s']:.2f}   (goal >= 1.0)")
    print(f"history events per appeal:             {appeal['events']:.1f}   (goal <= 60)")
    print(
        f"peak worker RSS, appeals:              {appeal['peak_rss_mb']:.0f} MB   (goal <= 150; the letters' "
        f"process beside it {appeal.get('letters_rss_mb', 0):.0f} MB)"
    )
    print(f"activity timeouts, appeals:            {appeal['activity_timeouts']}   (goal 0)")
    if by_processes:
        print(
            f"\nworker processes (each alone on the queue; the appeals driven from another process, "
            f"{os.cpu_count()} cores):"
        )
        print(
            f"{'processes':<12}{'appeals/s':>10}{'scale-out':>11}{'worker CPU ms/appeal':>22}"
            f"{'peak RSS MB/process':>21}"
        )
        one = by_processes.get(1) or next(iter(by_processes.values()))
        for count, r in by_processes.items():
            print(
                f"{count:<12}{r['per_s']:>10.1f}{r['per_s'] / one['per_s']:>11.2f}{r['worker_cpu_ms_total']:>22.1f}"
                f"{r['worker_peak_rss_mb']:>21.0f}"
            )
    if reception:
        print(
            f"receptions (2 instructions each, {args.receptions}): {reception['per_s']:.2f}/s, "
            f"{reception['elapsed']:.1f} s, peak RSS {reception['peak_rss_mb']:.0f} MB, "
            f"{reception['events']:.0f} events per reception, {reception['child_events']} per instruction"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--child", choices=["appeal", "bare", "reception"])
    parser.add_argument("--receptions", type=int, default=50, help="receptions in the reception scenario (0: skip)")
    parser.add_argument("--address", default="")
    parser.add_argument("--db", default="")
    parser.add_argument("--activities", type=int, default=0)
    parser.add_argument("--signals", type=int, default=0)
    parser.add_argument(
        "--processes",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[],
        help="also run the appeals on worker processes of their own, e.g. 1,2 (issue 27.3)",
    )
    parser.add_argument("--worker-processes", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)  # a worker process alone on this queue
    args = parser.parse_args()
    asyncio.run(serve(args) if args.serve else child(args) if args.child else parent(args))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
