"""Benchmark: the workbench's pages on a registry of many open cases (issue 23).

    .venv/bin/python bench/workbench.py [--cases 10000] [--requests 200] [--starts 50]

Writes the cards (and a dozen events each) into a fresh SQLite registry, serves the application
with uvicorn on this machine, and times "my cases" for the head (every case) and for an executor
(their unit's), a filtered list and case pages, from a client in another thread: first on a quiet
machine, then while `--starts` appeals are being started at once, again and again, on a real dev
server by a real worker writing to the same registry (each start waits until the case answers its
status). Goal (issue 23): p95 under 300 ms with 10,000 open cases and 50 starts running. The pages
read the registry only, never a workflow, so what remains of the load is the machine's two cores
and the registry's write lock, shared with the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.faults import Stack  # noqa: E402
from bench.scale import start_appeals  # noqa: E402
from models.registry import CaseRecord, EventRecord, make_engine  # noqa: E402
from policies.routing import categories, districts, executors  # noqa: E402
from runtime.clock import utc_now  # noqa: E402
from tooling.users import add_user, log_in  # noqa: E402
from web.serve import serve  # noqa: E402

STATES = ["routed", "under_consideration", "returned_for_finalization", "answered"]
PASSWORD = "benchmark password"


def seed(engine: object, n: int) -> list[str]:
    rng = random.Random(7)
    units, cats, dists = sorted(executors()), categories(), districts()
    today = date(2026, 12, 3)
    numbers, cases, events = [], [], []
    for i in range(n):
        number = f"APL-2026-{i + 1:06d}"
        numbers.append(number)
        due = today + timedelta(days=rng.randint(-10, 30))
        cases.append(
            {
                "reg_number": number, "kind": "appeal", "appeal_type": "application", "channel": "portal",
                "language": "ru", "category": rng.choice(cats), "district": rng.choice(dists),
                "applicant_kind": "person", "applicant_identity": f"{i:012d}", "applicant_name": "Заявитель",
                "applicants_count": 1, "addressee": "Аким", "received_at": "2026-11-01T10:00:00+05:00",
                "received_on": "2026-11-01", "state": rng.choice(STATES), "executor": rng.choice(units),
                "deadline": due.isoformat(), "overdue": due < today, "summary": "Протекает крыша дома " * 5,
                "workflow_run": "r", "created_at": utc_now(), "updated_at": utc_now(),
            }
        )  # fmt: skip
        for seq in range(12):
            events.append(
                {
                    "reg_number": number, "key": f"move-{seq}", "seq": seq, "trigger": "accept",
                    "actor_id": "housing-dept", "actor_role": "executor", "from_state": "routed",
                    "to_state": "under_consideration", "at": "2026-11-02T10:00:00+00:00", "reason": "",
                    "detail": "{}", "recorded_at": utc_now(),
                }
            )  # fmt: skip
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(CaseRecord), cases)
        conn.execute(insert(EventRecord), events)
    return numbers


def timed(url: str, cookie: str, count: int, expect: str) -> list[float]:
    """Milliseconds per request; each answer must be the page itself (not the log-in's)."""
    took = []
    for _ in range(count):
        request = urllib.request.Request(url, headers={"Cookie": cookie})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read().decode()
            final = answer.geturl()
        took.append((time.perf_counter() - start) * 1000)
        assert "/login" not in final and expect in body, (url, final, body[:200])
    return took


def measure(pages: dict[str, tuple[str, str, str]], requests: int, heading: str) -> None:
    print(heading)
    for label, (url, cookie, expect) in pages.items():
        took = timed(url, cookie, requests, expect)
        p95 = statistics.quantiles(took, n=20)[-1]
        print(f"  {label:40s} p50 {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   (goal p95 < 300 ms)")


async def under_starts(pages: dict[str, tuple[str, str, str]], args: argparse.Namespace, stack: Stack) -> None:
    """The pages timed while `args.starts` appeals are started at once, batch after batch."""
    from temporalio.client import Client

    from runtime.registration import register_search_attributes
    from tooling.client import data_converter

    client = await Client.connect(stack.address, data_converter=data_converter())
    await register_search_attributes(client)
    started: list[str] = []
    await start_appeals(client, started, 5_000_000, 5, 5)  # the worker is up and has its policies
    measuring = asyncio.Event()
    done = asyncio.Event()

    async def load() -> None:
        batch = 0
        while not done.is_set():
            await start_appeals(client, started, 5_000_100 + batch * args.starts, args.starts, args.starts)
            batch += 1
            measuring.set()  # the first batch has shown the load's shape: measure from the second

    loader = asyncio.create_task(load())
    await measuring.wait()
    before, clock = len(started), time.perf_counter()
    heading = f"while {args.starts} starts run at once (dev server and worker, same registry):"
    await asyncio.to_thread(measure, pages, args.requests, heading)
    rate = (len(started) - before) / (time.perf_counter() - clock)
    done.set()
    await loader
    print(f"  meanwhile {len(started) - before} appeals started and registered ({rate:.1f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--starts", type=int, default=50, help="appeals started at once during the second round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/registry.db"
        engine = make_engine(db_url)
        started = time.perf_counter()
        numbers = seed(engine, args.cases)
        print(f"registry: {args.cases} open cases, {12 * args.cases} events ({time.perf_counter() - started:.1f} s)")
        add_user(engine, "head.bench", "Руководитель", ["head"], "", PASSWORD)
        add_user(engine, "exec.bench", "Исполнитель", ["executor"], "housing-dept", PASSWORD)
        head = "appeals_session=" + log_in(engine, "head.bench", PASSWORD, "ui_session")
        executor = "appeals_session=" + log_in(engine, "exec.bench", PASSWORD, "ui_session")
        server = serve(0, (), engine=engine)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        time.sleep(0.5)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        rng = random.Random(3)
        one = rng.choice(numbers)
        pages = {
            "my cases, the head (every case)": (f"{base}/work", head, "APL-2026-"),
            "my cases, an executor (their unit's)": (f"{base}/work", executor, "APL-2026-"),
            "my cases, overdue only": (f"{base}/work?overdue=1", head, "APL-2026-"),
            "a case page": (f"{base}/work/case/{one}", head, one),
        }
        timed(f"{base}/work", head, 5, "APL-2026-")  # warm up
        measure(pages, args.requests, "quiet machine:")
        if args.starts:
            stack = Stack(Path(tmp), db_url, 1)
            stack.env["APPEALS_TIMING_PROFILE"] = "production"
            stack.start_server()
            stack.start_worker(0)
            try:
                asyncio.run(under_starts(pages, args, stack))
            finally:
                stack.stop()
        server.shutdown()


if __name__ == "__main__":
    main()
