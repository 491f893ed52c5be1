"""Benchmark: periodic control of Presidential instructions on the local dev server.

    .venv/bin/python bench/instructions.py [--n 20] [--periods 12]

Each instruction has three executors and monthly terms; the "bench" timing profile compresses a
working day to 0.05 s so a year of terms passes in seconds. Every executor reports every period.
Prints instructions/s, and the history size of each run against what one run would have grown to
without continue-as-new.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["APPEALS_TIMING_PROFILE"] = "bench"


from models.registry import make_engine  # noqa: E402
from runtime.clock import utc_now  # noqa: E402
from runtime.registration import register_search_attributes  # noqa: E402
from tooling.client import data_converter  # noqa: E402
from tooling.devserver import local_environment  # noqa: E402
from tooling.seal import seal_as_named, seal_registration, staff  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.instruction import InstructionWorkflow  # noqa: E402

EXECUTORS = ["housing-dept", "roads-dept", "land-dept"]


async def one(client: Any, queue: str, number: str, periods: int) -> list[int]:
    now = utc_now()
    data = {
        "reg_number": number,
        "issuer": "president",
        "issuer_official": "Глава государства",
        "text": "Контроль исполнения",
        "control": "monthly",
        "first_term": (now.date() + timedelta(days=3)).isoformat(),
        "periods": periods,
        "executors": EXECUTORS,
        "received_at": now.isoformat(),
    }
    sealed = seal_registration(data, staff("registrar-1", "registrar"), "cli")
    handle = await client.start_workflow(InstructionWorkflow.run, sealed, id=number, task_queue=queue)
    period = 0
    while period < periods:
        status = await handle.query("status")
        if status["facts"]["period"] != period:
            period = status["facts"]["period"]
            for executor in EXECUTORS:
                await handle.signal(
                    "report",
                    seal_as_named(
                        {"actor": {"id": executor, "role": "executor"}, "answer_text": f"Отчёт за период {period}"},
                        case=handle.id,
                        trigger="report",
                    ),
                )
        await asyncio.sleep(0.1)
    await handle.execute_update(
        "transition",
        seal_as_named(
            {
                "trigger": "submit_consolidated",
                "actor": {"id": EXECUTORS[0], "role": "executor"},
                "answer_text": "Свод за год",
            },
            case=handle.id,
        ),
    )
    await handle.execute_update(
        "transition",
        seal_as_named(
            {"trigger": "lift_control", "actor": {"id": "h", "role": "head"}, "answer_text": "Исполнено"},
            case=handle.id,
        ),
    )
    await handle.result()
    sizes = []
    run_id = (await handle.describe()).run_id
    while run_id:
        history = await client.get_workflow_handle(number, run_id=run_id).fetch_history()
        sizes.append(len(history.events))
        run_id = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
    return list(reversed(sizes))


async def main(n: int, periods: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = await local_environment(f"{tmp}/temporal.db", data_converter())
        try:
            await register_search_attributes(env.client)
            engine = make_engine(f"sqlite:///{tmp}/registry.db")
            queue = f"bench-instructions-{uuid.uuid4()}"
            with ThreadPoolExecutor(16) as pool:
                async with build_worker(env.client, engine, task_queue=queue, pool=pool):
                    started = time.perf_counter()
                    runs = await asyncio.gather(
                        *(one(env.client, queue, f"PRI-2026-{70_000_000 + i:08d}", periods) for i in range(n))
                    )
                    elapsed = time.perf_counter() - started
        finally:
            await env.shutdown()
    sample = runs[0]
    print(f"instruction benchmark: {n} instructions x {periods} monthly periods x {len(EXECUTORS)} executors")
    print(
        f"throughput: {n / elapsed:.2f} instructions/s ({elapsed:.1f} s), "
        f"{n * periods * len(EXECUTORS) / elapsed:.1f} reports/s"
    )
    print(f"peak RSS (worker and clients): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(
        f"history events per run (continue-as-new every 6 periods): {sample}; "
        f"largest run {max(sample)}, one run without continue-as-new would hold about {sum(sample)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--periods", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.periods))
    sys.stdout.flush()
    os._exit(0)
