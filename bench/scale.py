"""Scale: many open appeals on one machine, each holding its timers weeks ahead.

    .venv/bin/python bench/scale.py [--appeals 10000] [--cache-sizes 500,2000,5000] [--burst 2000]
                                    [--processes 1,2] [--profile-burst FILE] [--postgres]

Starts a dev server on a file database and one worker process (production timing profile), opens
N appeals (registered and routed: their reminders, escalations and proposals wait weeks), and
reports: time to start all, status-query latency p50/p95 while the starts run and once idle, the
server's database size. Then, for each workflow cache size: the worker is killed with SIGKILL and
started with that cache; how long until a sample of cases answers again (their histories replayed),
then every case is queried once (which fills the cache), and the worker's peak RSS. Last, the
burst: a worker whose timers run ahead (APPEALS_TIMING_LEAD_SECONDS) registers B more appeals, all
received at one moment, so their first reminders fall due in the same second; the lag from that
moment to each reminder's notice in the registry (p50/p95/max), and the server's own timer lag.
The burst prints the worker's CPU per reminder (every process of the worker's tree, split into the
SDK core's threads, the interpreter's and the letters' process) against issue 27's goal.
`--processes` makes a whole run per count of worker processes (`worker.py --processes N`), with the
Web UI's case card (`__temporal_workflow_metadata`) sampled beside the status query under load.
`--postgres` runs the registry on a throwaway PostgreSQL cluster. Reported, not run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

from bench.faults import Stack, retrying  # noqa: E402
from runtime.clock import utc_now  # noqa: E402
from tooling.client import data_converter  # noqa: E402
from tooling.seal import seal_registration, staff  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """The process and its live descendants (worker processes, their letters' processes)."""
    found, todo = [], [pid]
    while todo:
        each = todo.pop()
        found.append(each)
        for task in Path(f"/proc/{each}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process tree, with what its reaped children used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def threads_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of the tree's threads by kind: the SDK's core (Rust threads, named by tokio),
    the Python interpreter's threads (the event loop, workflow tasks, activities), the letters'."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for each in process_tree(pid):
        letters = b"multiprocessing" in Path(f"/proc/{each}/cmdline").read_bytes()
        for task in Path(f"/proc/{each}/task").glob("*"):
            try:
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            kind = "letters' process" if letters else "SDK core (Rust)" if name.startswith("tokio") else "Python"
            found[kind] = found.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return found


def worker_processes_rss(pid: int) -> list[float]:
    """Peak RSS of each process of the tree that runs a worker (the parent of N only supervises)."""
    tree = process_tree(pid)
    workers = [each for each in tree if b"worker.py" in Path(f"/proc/{each}/cmdline").read_bytes()]
    return [peak_rss_mb(each) for each in workers if len(workers) == 1 or each != pid]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else 0.0


async def query_latencies(client: Client, numbers: list[str], samples: int, query: str = "status") -> list[float]:
    """`status` (the workbench's and CLI's read) or `__temporal_workflow_metadata` (what the Web UI
    asks for a case's card): both wait for a worker to answer."""
    latencies = []
    for number in random.sample(numbers, min(samples, len(numbers))):
        started = time.perf_counter()
        await retrying(lambda n=number: client.get_workflow_handle(n).query(query), number)
        latencies.append(time.perf_counter() - started)
    return latencies


async def start_appeals(
    client: Client, numbers: list[str], first: int, count: int, concurrency: int, **fields: str
) -> None:
    """Start `count` appeals and wait until each is registered (answers its status query)."""
    from tests import factories

    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        number = f"APL-2026-{first + i:07d}"
        appeal = seal_registration(
            factories.appeal_dict(reg_number=number, **fields), staff("registrar-1", "registrar"), "cli"
        )
        async with gate:
            handle = await retrying(
                lambda: client.start_workflow("AppealWorkflow", appeal, id=number, task_queue="appeals"), number
            )
            await retrying(lambda: handle.query("status"), number)  # registered, and in the worker's cache
        numbers.append(number)

    await asyncio.gather(*(one(i) for i in range(count)))


async def sweep(client: Client, numbers: list[str], concurrency: int) -> float:
    """Query every case once (each one outside the cache is replayed into it); seconds taken."""
    gate = asyncio.Semaphore(concurrency)

    async def one(number: str) -> None:
        async with gate:
            await retrying(lambda: client.get_workflow_handle(number).query("status"), number)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in numbers))
    return time.perf_counter() - started


def first_reminder_at(received: datetime) -> datetime:
    """The legal moment of the first reminder of an application received at `received`."""
    from policies import calendar
    from policies.terms import control_rules, term_working_days

    rules = control_rules("production")
    due = calendar.due_date(received, term_working_days("application"))
    return calendar.at_local(
        calendar.working_days_before(due, max(rules.reminder_working_days_before)), rules.reminder_hour
    )


def reminder_times(db_url: str, numbers: list[str]) -> list[datetime]:
    from sqlalchemy import text

    from models.registry import make_engine

    engine = make_engine(db_url)
    wanted = set(numbers)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reg_number, created_at FROM notifications WHERE template = 'reminder'"))
        times = [created for number, created in rows if number in wanted]
    engine.dispose()
    return [_aware(t) for t in times]


def _aware(moment: datetime | str) -> datetime:
    """SQLite hands back naive strings or datetimes (UTC); PostgreSQL aware datetimes."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def server_timer_lag(client: Client, numbers: list[str], due: datetime) -> list[float]:
    """For each case: when the server fired the timer that was due at `due`, seconds after it."""
    lags = []
    for number in numbers:
        history = await retrying(lambda n=number: client.get_workflow_handle(n).fetch_history(), number)
        started: dict[int, float] = {}
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                timeout = event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
                started[event.event_id] = event.event_time.ToDatetime().timestamp() + timeout
            elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
                fire = started.get(event.timer_fired_event_attributes.started_event_id, 0.0)
                if abs(fire - due.timestamp()) < 5:
                    lags.append(event.event_time.ToDatetime().timestamp() - fire)
    return lags


def ms(values: list[float], share: float) -> str:
    return f"{1000 * percentile(values, share):.0f} ms"


async def main(args: argparse.Namespace) -> None:
    for i, processes in enumerate(args.processes):
        with ExitStack() as resources:
            tmp = Path(resources.enter_context(tempfile.TemporaryDirectory()))
            if args.postgres:
                from tests.postgres import fresh_database, throwaway_server

                db_url = fresh_database(resources.enter_context(throwaway_server(durable=True)))
            else:
                db_url = f"sqlite:///{tmp / 'registry.db'}"
            await run(args, tmp, db_url, processes, first=i == 0)


async def run(args: argparse.Namespace, tmp: Path, db_url: str, processes: int, first: bool) -> None:
    from models.registry import make_engine
    from runtime.registration import register_search_attributes

    make_engine(db_url).dispose()
    stack = Stack(tmp, db_url, 1, ("--processes", str(processes)))
    stack.env["APPEALS_TIMING_PROFILE"] = "production"
    stack.start_server()
    stack.start_worker(0)
    lines = [
        f"scale benchmark: {args.appeals} open appeals (production profile), worker.py --processes {processes}, "
        f"{os.cpu_count()} cores, registry {db_url.split(':')[0]}"
    ]
    try:
        client = await Client.connect(stack.address, data_converter=data_converter())
        await register_search_attributes(client)
        numbers: list[str] = []
        loaded: list[float] = []
        cards: list[float] = []
        done = asyncio.Event()

        async def sample_under_load() -> None:
            while not done.is_set():
                await asyncio.sleep(1)
                if numbers:
                    loaded.extend(await query_latencies(client, numbers, 5))
                    cards.extend(await query_latencies(client, numbers, 1, "__temporal_workflow_metadata"))

        sampler = asyncio.create_task(sample_under_load())
        started = time.perf_counter()
        await start_appeals(client, numbers, 8_000_000, args.appeals, args.concurrency)
        start_seconds = time.perf_counter() - started
        done.set()
        await sampler
        idle = await query_latencies(client, numbers, 300)
        worker = stack.workers[0]
        assert worker is not None
        rss = ", ".join(f"{each:.0f}" for each in worker_processes_rss(worker.pid))
        lines += [
            f"  started and registered in {start_seconds:.0f} s ({args.appeals / start_seconds:.1f}/s), "
            f"{args.concurrency} starts at a time",
            f"  status query under load: p50 {ms(loaded, 0.5)}, p95 {ms(loaded, 0.95)} ({len(loaded)} samples)",
            f"  the Web UI's case card (__temporal_workflow_metadata) under load: p50 {ms(cards, 0.5)}, "
            f"p95 {ms(cards, 0.95)} ({len(cards)} samples)",
            f"  status query idle: p50 {ms(idle, 0.5)}, p95 {ms(idle, 0.95)}",
            f"  worker peak RSS after the starts (default cache), per worker process: {rss} MB",
            f"  server database: {sum(p.stat().st_size for p in tmp.glob('temporal.db*')) / 2**20:.0f} MB",
        ]
        print("\n".join(lines), flush=True)
        for size in args.cache_sizes if first else []:
            stack.kill(stack.workers[0])
            stack.env["APPEALS_WORKFLOW_CACHE"] = str(size)
            restarted = time.perf_counter()
            stack.start_worker(0)
            sample = random.sample(numbers, min(args.restart_sample, len(numbers)))
            await asyncio.gather(*(query_latencies(client, [n], 1) for n in sample))
            restart_seconds = time.perf_counter() - restarted
            sweep_seconds = await sweep(client, numbers, 20)
            after = await query_latencies(client, numbers, 200)
            worker = stack.workers[0]
            assert worker is not None
            line = (
                f"  cache {size}: restart, {len(sample)} cases answering after {restart_seconds:.1f} s; "
                f"all {len(numbers)} queried in {sweep_seconds:.0f} s; peak RSS {peak_rss_mb(worker.pid):.0f} MB; "
                f"then random status p50 {ms(after, 0.5)}, p95 {ms(after, 0.95)}"
            )
            lines.append(line)
            print(line, flush=True)
        if args.burst:
            lines += await burst(args, stack, client, db_url, start_seconds / args.appeals)
    finally:
        stack.stop()
    print("\n".join(lines))


async def burst(args: argparse.Namespace, stack: Stack, client: Client, db_url: str, per_start: float) -> list[str]:
    """B appeals received at one moment; their first reminders are made to fall due together."""
    received = utc_now().replace(microsecond=0)
    due = received + timedelta(seconds=60 + 2 * per_start * args.burst)  # after every start has gone through
    lead = int((first_reminder_at(received) - due).total_seconds())
    due = first_reminder_at(received) - timedelta(seconds=lead)  # the lead is whole seconds
    stack.stop_worker(0)  # gracefully: a parent of N passes it on, so no child keeps the old timing
    stack.env.pop("APPEALS_WORKFLOW_CACHE", None)
    stack.env["APPEALS_TIMING_LEAD_SECONDS"] = str(lead)
    stack.start_worker(0)
    worker = stack.workers[0]
    assert worker is not None
    burst_numbers: list[str] = []
    await start_appeals(
        client, burst_numbers, 9_000_000, args.burst, args.concurrency, received_at=received.isoformat()
    )
    ready = utc_now()
    if ready > due:
        return [
            f"  burst: the starts ran past the reminders' moment ({(ready - due).total_seconds():.0f} s); no figure"
        ]
    await asyncio.sleep((due - ready).total_seconds() - 1)
    cpu_before, threads_before = tree_cpu_seconds(worker.pid), threads_cpu(worker.pid)
    profiler = profile(worker.pid, args.profile_burst)
    deadline = time.monotonic() + 600
    times: list[datetime] = []
    while time.monotonic() < deadline:
        times = reminder_times(db_url, burst_numbers)
        if len(times) >= len(burst_numbers):
            break
        await asyncio.sleep(0.5)
    cpu = tree_cpu_seconds(worker.pid) - cpu_before
    threads = {kind: seconds - threads_before.get(kind, 0.0) for kind, seconds in threads_cpu(worker.pid).items()}
    if profiler:
        profiler.send_signal(signal.SIGINT)
        profiler.wait(timeout=60)
    lags = [(t - due).total_seconds() for t in times]
    server = await server_timer_lag(client, random.sample(burst_numbers, min(200, len(burst_numbers))), due)
    return [
        f"  burst: {len(burst_numbers)} reminders due at one moment (with {len(stack.workers)} worker and "
        f"{args.appeals} other open cases); {len(times)} written",
        f"    lag to the reminder's notice in the registry: p50 {percentile(lags, 0.5):.1f} s, "
        f"p95 {percentile(lags, 0.95):.1f} s, max {max(lags, default=0):.1f} s (goal p95 <= 15 s)",
        f"    worker CPU per reminder (every worker process and its letters' process, from 1 s before the "
        f"moment to the last notice): {1000 * cpu / max(len(times), 1):.1f} ms (goal <= 7 ms)",
        "      by thread: "
        + ", ".join(f"{kind} {1000 * used / max(len(times), 1):.1f} ms" for kind, used in sorted(threads.items())),
        f"    server's timer lag (200 sampled histories): p50 {percentile(server, 0.5):.2f} s, "
        f"p95 {percentile(server, 0.95):.2f} s",
    ]


def profile(pid: int, output: str) -> subprocess.Popen[bytes] | None:
    """py-spy on the worker's process tree (raw collapsed stacks), when asked for: the burst's profile."""
    if not output:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "-r", "100"]
    return subprocess.Popen([*command, "-f", "raw", "-o", output], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--restart-sample", type=int, default=500)
    parser.add_argument(
        "--cache-sizes",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[500, 2000, 5000],
        help="workflow cache sizes to restart the worker with (comma-separated; empty: none)",
    )
    parser.add_argument("--burst", type=int, default=2000, help="reminders made to fall due at once (0: none)")
    parser.add_argument("--postgres", action="store_true", help="the registry on a throwaway PostgreSQL cluster")
    parser.add_argument("--profile-burst", default="", help="py-spy the worker over the burst into this file")
    parser.add_argument(
        "--processes",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[1],
        help="worker processes (worker.py --processes N), one whole run each, e.g. 1,2; the cache restarts "
        "run with the first only (issue 27.3, 27.6)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
    sys.stdout.flush()
    os._exit(0)
