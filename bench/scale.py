"""Scale: many open appeals on one machine, each holding its timers weeks ahead.

    .venv/bin/python bench/scale.py [--appeals 10000] [--concurrency 50]

Starts a dev server on a file database and one worker process (production timing profile), opens
N appeals (registered and routed: their reminders, escalations and proposals wait weeks), and
reports: time to start all, status-query latency p50/p95 while the starts run and once idle, the
worker's peak RSS with every case in its workflow cache, the server's database size, and how long a
worker killed with SIGKILL takes to answer again for a sample of cases (their histories replayed
into a new cache). Reported, not run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))

from temporalio.client import Client  # noqa: E402

from bench.faults import Stack, retrying  # noqa: E402
from runtime.client import data_converter  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else 0.0


async def query_latencies(client: Client, numbers: list[str], samples: int) -> list[float]:
    latencies = []
    for number in random.sample(numbers, min(samples, len(numbers))):
        started = time.perf_counter()
        await retrying(lambda n=number: client.get_workflow_handle(n).query("status"), number)
        latencies.append(time.perf_counter() - started)
    return latencies


async def main(args: argparse.Namespace) -> None:
    from models.registry import make_engine
    from tests import factories

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp / 'registry.db'}"
        make_engine(db_url).dispose()
        stack = Stack(tmp, db_url, 1)
        stack.env["APPEALS_TIMING_PROFILE"] = "production"
        stack.start_server()
        stack.start_worker(0)
        try:
            client = await Client.connect(stack.address, data_converter=data_converter())
            from runtime.registration import register_search_attributes

            await register_search_attributes(client)
            numbers: list[str] = []
            gate = asyncio.Semaphore(args.concurrency)
            loaded: list[float] = []
            done = asyncio.Event()

            async def one(i: int) -> None:
                number = f"APL-2026-{8_000_000 + i:07d}"
                appeal = factories.appeal_dict(reg_number=number)
                async with gate:
                    handle = await retrying(
                        lambda: client.start_workflow("AppealWorkflow", appeal, id=number, task_queue="appeals"),
                        number,
                    )
                    await retrying(lambda: handle.query("status"), number)  # registered: in the worker's cache
                numbers.append(number)

            async def sample_under_load() -> None:
                while not done.is_set():
                    await asyncio.sleep(1)
                    if numbers:
                        loaded.extend(await query_latencies(client, numbers, 5))

            sampler = asyncio.create_task(sample_under_load())
            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(args.appeals)))
            start_seconds = time.perf_counter() - started
            done.set()
            await sampler
            idle = await query_latencies(client, numbers, 300)
            worker = stack.workers[0]
            assert worker is not None
            rss = peak_rss_mb(worker.pid)
            db_mb = sum(p.stat().st_size for p in tmp.glob("temporal.db*")) / 2**20
            registry_mb = sum(p.stat().st_size for p in tmp.glob("registry.db*")) / 2**20
            stack.kill(worker)
            restarted = time.perf_counter()
            stack.start_worker(0)
            sample = random.sample(numbers, min(args.restart_sample, len(numbers)))
            await asyncio.gather(*(query_latencies(client, [n], 1) for n in sample))
            restart_seconds = time.perf_counter() - restarted
            after = await query_latencies(client, numbers, 100)
        finally:
            stack.stop()
    print(f"scale benchmark: {args.appeals} open appeals (production profile), 1 worker, SQLite registry")
    print(f"  started and registered in {start_seconds:.0f} s ({args.appeals / start_seconds:.1f}/s)")
    print(
        f"  status query under load: p50 {1000 * percentile(loaded, 0.5):.0f} ms, "
        f"p95 {1000 * percentile(loaded, 0.95):.0f} ms ({len(loaded)} samples)"
    )
    print(f"  status query idle: p50 {1000 * percentile(idle, 0.5):.0f} ms, p95 {1000 * percentile(idle, 0.95):.0f} ms")
    print(f"  worker peak RSS: {rss:.0f} MB (goal < 500 MB)")
    print(f"  server database: {db_mb:.0f} MB; registry: {registry_mb:.0f} MB")
    print(
        f"  worker killed and started again: {args.restart_sample} cases answering after {restart_seconds:.1f} s; "
        f"then status p50 {1000 * percentile(after, 0.5):.0f} ms, p95 {1000 * percentile(after, 0.95):.0f} ms"
    )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--restart-sample", type=int, default=500)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
    sys.stdout.flush()
    os._exit(0)
