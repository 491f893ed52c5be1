"""Memory of an open case in the worker: the Python heap's growth per appeal, by file.

    .venv/bin/python bench/case_memory.py [--appeals 100] [--lines]

Starts a dev server and a worker in this process, registers a few appeals to warm up, then starts
`--appeals` more (each registered and routed, waiting for its executor) with tracemalloc on, and
prints the RSS growth per appeal, the traced heap's growth per appeal and the files it grew in
(`--lines`: the top tracebacks). tracemalloc slows the worker several times over and adds its own
RSS, so the RSS figure is an upper bound; the heap figure is exact. Issue 27: one state machine per
table version took an open appeal's heap from 132 KB to 59 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))
os.environ.setdefault("APPEALS_SEAL_KEY_FILE", str(ROOT / "tests" / "seal-test-key.json"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(appeals: int, lines: bool) -> None:
    from models.registry import make_engine
    from runtime.registration import register_search_attributes
    from tests import factories
    from tooling.client import data_converter
    from tooling.devserver import local_environment
    from tooling.seal import seal_registration, staff
    from worker import build_worker

    with tempfile.TemporaryDirectory() as tmp:
        env = await local_environment(f"{tmp}/temporal.db", data_converter())
        await register_search_attributes(env.client)
        engine = make_engine(f"sqlite:///{tmp}/registry.db")
        try:
            with ThreadPoolExecutor(16) as pool:
                async with build_worker(env.client, engine, task_queue="case-memory", pool=pool):

                    async def one() -> Any:
                        appeal = factories.appeal_dict(reg_number=factories.new_reg_number())
                        sealed = seal_registration(appeal, staff("registrar-1", "registrar"), "cli")
                        handle = await env.client.start_workflow(
                            "AppealWorkflow", sealed, id=appeal["reg_number"], task_queue="case-memory"
                        )
                        await handle.query("status")  # registered, and held in the worker's cache
                        return handle

                    await asyncio.gather(*(one() for _ in range(20)))  # warm-up: imports, caches
                    gc.collect()
                    tracemalloc.start(25)
                    before_rss, before = rss_mb(), tracemalloc.take_snapshot()
                    for start in range(0, appeals, 25):
                        await asyncio.gather(*(one() for _ in range(min(25, appeals - start))))
                    gc.collect()
                    after, after_rss = tracemalloc.take_snapshot(), rss_mb()
        finally:
            await env.shutdown()
    stats = after.compare_to(before, "filename")
    print(f"case memory: {appeals} open appeals in one worker")
    print(f"  RSS growth per appeal (tracemalloc on):  {(after_rss - before_rss) * 1024 / appeals:6.0f} KB")
    print(f"  Python heap growth per appeal:           {sum(s.size_diff for s in stats) / 1024 / appeals:6.0f} KB")
    site = str(Path(tracemalloc.__file__).parent)
    for stat in stats[:15]:
        name = stat.traceback[0].filename.replace(str(ROOT) + "/", "").replace(site + "/", "")
        print(f"    {stat.size_diff / 1024 / appeals:7.1f} KB  {name.split('site-packages/')[-1]}")
    if lines:
        for stat in after.compare_to(before, "traceback")[:10]:
            print(f"  --- {stat.size_diff / 1024 / appeals:.1f} KB per appeal")
            for frame in stat.traceback.format()[-12:]:
                print("     ", frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=100)
    parser.add_argument("--lines", action="store_true", help="also the top tracebacks")
    args = parser.parse_args()
    asyncio.run(measure(args.appeals, args.lines))


if __name__ == "__main__":  # the letters' process is spawned: it must not run this module's main
    main()
    sys.stdout.flush()
    os._exit(0)  # the SDK's core threads can abort at interpreter finalization
