"""Benchmark: registrations through the intake API (issue 25).

    .venv/bin/python bench/intake.py [--n 1000] [--clients 50] [--kill-at 300]

A dev server and a worker process (bench/faults.py `Stack`) and the web application on uvicorn in
this process, one SQLite registry. `--clients` portals send `--n` different appeals, each twice at
the same moment (a portal's retry racing its first attempt), and the worker is killed after
`--kill-at` answers and started again a few seconds later. Printed: the throughput, p50/p95 latency
to the answer, the duplicate cases (goal 0: every pair got one number), and, once the worker has
caught up, the lost registrations (goal 0: every answered number has its case in the registry and
its workflow in Temporal). The policy's rate limits are a production's and are lifted here: the
benchmark measures the path, not the limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from bench.faults import Stack, free_port  # noqa: E402
from models.intake import IntakeRecord  # noqa: E402
from models.registry import CaseRecord, make_engine  # noqa: E402
from tests.factories import valid_iin  # noqa: E402
from tooling.intake import add_channel  # noqa: E402


def lift_rate_limits() -> None:
    import web.intake.api as api

    original = api.load_policy

    def lifted(name: str) -> Any:
        policy = original(name)
        if name == "intake":
            policy = {**policy, "rate_per_minute": {"channel": 10**6, "address": 10**6, "status_page": 10**6}}
        return policy

    api.load_policy = lifted  # type: ignore[assignment]


def body(i: int) -> dict[str, Any]:
    return {
        "external_id": f"bench-{i}-{uuid.uuid4().hex[:8]}",
        "type": "application",
        "language": "ru" if i % 2 else "kk",
        "applicant": {"kind": "person", "name": f"Заявитель {i}", "iin": valid_iin()},
        "contacts": {"email": f"applicant{i}@example.kz"},
        "category": ["housing", "utilities", "roads", "social"][i % 4],
        "district": ["almaly", "medeu", "auezov"][i % 3],
        "text": f"Обращение номер {i}: прошу отремонтировать подъезд.",
    }


async def main(n: int, clients: int, kill_at: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    db = f"sqlite:///{tmp / 'registry.db'}"
    engine = make_engine(db)
    key = add_channel(engine, "bench-portal", "Портал (бенчмарк)")
    stack = Stack(tmp, db, workers=1)
    stack.start_server()
    stack.start_worker(0)
    lift_rate_limits()
    from web.serve import serve

    port = free_port()
    http_server = serve(port, (), engine=engine, temporal_address=stack.address)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    await asyncio.sleep(2)
    appeals = [body(i) for i in range(n)]
    latencies: list[float] = []
    answers: dict[int, list[str]] = {}
    failures: list[str] = []
    answered = 0
    killed = asyncio.Event()
    gate = asyncio.Semaphore(clients)
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=120, limits=limits
    ) as http:

        async def send(i: int) -> None:
            nonlocal answered
            async with gate:
                for _ in range(20):
                    started = time.perf_counter()
                    response = await http.post("/api/v1/appeals", json=appeals[i])
                    if response.status_code in (200, 201):
                        latencies.append(time.perf_counter() - started)
                        answers.setdefault(i, []).append(response.json()["reg_number"])
                        answered += 1
                        if answered >= kill_at and not killed.is_set():
                            killed.set()
                        return
                    if response.status_code in (429, 503):
                        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                        continue
                    failures.append(f"{i}: {response.status_code} {response.text[:200]}")
                    return
                failures.append(f"{i}: gave up")

        async def killer() -> None:
            await killed.wait()
            stack.kill(stack.workers[0])
            print(f"worker killed after {answered} answers", flush=True)
            await asyncio.sleep(5)
            stack.start_worker(0)
            print("worker started again", flush=True)

        began = time.perf_counter()
        chaos = asyncio.create_task(killer())
        await asyncio.gather(*(send(i) for i in range(n) for _ in range(2)))  # every request twice, at once
        elapsed = time.perf_counter() - began
        if killed.is_set():
            await chaos
        else:
            chaos.cancel()  # --kill-at past the answers: no worker was killed
    numbers = {number for pair in answers.values() for number in pair}
    split = [i for i, pair in answers.items() if len(set(pair)) != 1]
    print(f"registrations: {n} appeals, each sent twice ({2 * n} requests), {clients} clients")
    rate = f"{2 * n / elapsed:.1f} requests/s, {len(numbers) / elapsed:.1f} registrations/s"
    print(f"throughput: {rate} ({elapsed:.1f} s)")
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"latency to the answer: p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"failed requests: {len(failures)} {failures[:3]}")
    print(f"duplicate cases: {len(split)} (pairs answered with two numbers; goal 0)")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with Session(engine) as session:
            cards = int(session.exec(select(func.count()).select_from(CaseRecord)).one())
        if cards >= len(numbers):
            break
        await asyncio.sleep(2)
    with Session(engine) as session:
        registered = set(session.exec(select(CaseRecord.reg_number)).all())
        pending = int(session.exec(select(func.count()).where(IntakeRecord.state != "registered")).one())
    from tooling.client import connect

    client = await connect(stack.address)
    running = {w.id async for w in client.list_workflows("WorkflowType = 'AppealWorkflow'")}
    lost = numbers - registered
    with Session(engine) as session:
        summaries = dict(session.exec(select(CaseRecord.reg_number, CaseRecord.summary)).all())
    # Each appeal's number must be its own case: its text, not another appeal's under a shared number.
    mixed = [i for i, pair in answers.items() if not summaries.get(pair[0], "").startswith(appeals[i]["text"][:40])]
    print(f"appeals answered with a number that is not their own case: {len(mixed)} (goal 0)")
    print(f"cases in the registry: {len(registered)}; workflows: {len(running)}; intake rows pending: {pending}")
    extra = len(registered - numbers)
    print(f"lost: {len(lost)} (answered numbers without their case; goal 0); cases beyond the answers: {extra}")
    stack.stop()
    http_server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--kill-at", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.clients, args.kill_at))
