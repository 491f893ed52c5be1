"""Benchmark: `starter.py audit replay`'s engine on the recorded corpus, repeated to a few hundred files.

    .venv/bin/python bench/replay.py [--files 300] [--floor 100]

Prints histories/s for the whole corpus and per workflow kind, with the time spent loading
(reading and parsing the JSON) shown apart from the replay itself. Process start-up (imports) is
not counted: it is paid once per `starter.py audit replay` run, whatever the number of files.

In the same run it measures the SDK's own floor on this machine (`--floor N`, 0 skips it): N bare
workflows of the naive appeal shape (bench/bare_workflow.py, no codec, no state machine) run on a
dev server, and their histories replay through the same kind of replayer. Issue 27.4's goal is the
ratio of the two per-event times: ours at most 1.1 times the SDK's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(ROOT / "tests" / "codec-test-key.json"))
os.environ.setdefault("APPEALS_SEAL_KEY_FILE", str(ROOT / "tests" / "seal-test-key.json"))

from tooling.replay import load_history, replay_all, replay_files  # noqa: E402

CORPUS = ROOT / "tests" / "histories"


async def measure(files: list[Path]) -> tuple[float, float]:
    """Our corpus, replayed in this process; returns the replay's milliseconds per event, elapsed and
    of this process's CPU (the SDK core's threads included)."""
    started = time.perf_counter()
    histories = [load_history(path) for path in files]
    loaded = time.perf_counter()
    cpu_before = time.process_time()
    kinds: dict[str, list[float]] = defaultdict(list)
    failures = 0
    last = loaded
    async for outcome in replay_all(histories):
        now = time.perf_counter()
        kinds[outcome.workflow_type].append(now - last)
        last = now
        failures += bool(outcome.failure)
    replayed = time.perf_counter()
    cpu = time.process_time() - cpu_before
    events = sum(len(h.events) for h in histories)
    total = replayed - started
    print(f"replay benchmark: {len(files)} histories ({events} events) from {CORPUS.name}/, {os.cpu_count()} cores")
    n = len(files)
    print(f"  load (read + parse JSON): {loaded - started:6.2f} s  {n / (loaded - started):8.0f} histories/s")
    print(f"  replay:                   {replayed - loaded:6.2f} s  {n / (replayed - loaded):8.0f} histories/s")
    print(f"  load + replay:            {total:6.2f} s  {n / total:8.0f} histories/s")
    print(
        f"  replay per event:         {1000 * (replayed - loaded) / events:6.3f} ms, CPU {1000 * cpu / events:6.3f} ms"
    )
    for kind, times in sorted(kinds.items()):
        print(f"  {kind:<24}{len(times):>5} histories  {len(times) / sum(times):8.0f} histories/s (replay only)")
    print(f"  failures: {failures}")
    return 1000 * (replayed - loaded) / events, 1000 * cpu / events


def measure_audit_way(files: list[Path]) -> None:
    """`starter.py audit replay`'s engine: spawned processes that each load and replay chunks."""
    started = time.perf_counter()
    outcomes = [outcome for batch in replay_files(files) for _, outcome in batch]
    seconds = time.perf_counter() - started
    print(
        f"  starter.py audit replay's way, {os.cpu_count()} processes (spawn, load and replay): {seconds:6.2f} s  "
        f"{len(files) / seconds:6.0f} histories/s; failures: {sum(bool(o.failure) for o in outcomes)}"
    )


async def bare_histories(n: int) -> list[Any]:
    """N bare workflows of the naive appeal shape (bench/bare_workflow.py) run on a dev server: the
    histories of the SDK's floor."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from temporalio.client import WorkflowHistory
    from temporalio.converter import DataConverter
    from temporalio.worker import Worker

    from bench.bare_workflow import BareWorkflow, bare_noop
    from bench.lifecycle import NAIVE_ACTIVITIES, NAIVE_SIGNALS
    from tooling.devserver import local_environment

    env = await local_environment(data_converter=DataConverter.default)
    try:
        queue = f"floor-{uuid.uuid4()}"
        with ThreadPoolExecutor(8) as pool:
            async with Worker(
                env.client, task_queue=queue, workflows=[BareWorkflow], activities=[bare_noop], activity_executor=pool
            ):
                handles = [
                    await env.client.start_workflow(
                        BareWorkflow.run, args=[NAIVE_ACTIVITIES, NAIVE_SIGNALS], id=f"floor-{i}", task_queue=queue
                    )
                    for i in range(n)
                ]
                for handle in handles:
                    for k in range(NAIVE_SIGNALS):
                        await handle.signal("move", k)
                for handle in handles:
                    await handle.result()
        histories: list[WorkflowHistory] = [await handle.fetch_history() for handle in handles]
    finally:
        await env.shutdown()
    return histories


async def replay_bare(histories: list[Any]) -> int:
    """The bare histories through the SDK's replayer with no sandbox: the floor; returns failures."""
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    from bench.bare_workflow import BareWorkflow

    replayer = Replayer(workflows=[BareWorkflow], workflow_runner=UnsandboxedWorkflowRunner())
    failures = 0
    async with replayer.workflow_replay_iterator(_each(histories)) as replayed:
        async for result in replayed:
            failures += result.replay_failure is not None
    return failures


async def floor(n: int) -> tuple[float, float]:
    """Replay rate of bare workflows (the SDK with next to no workflow code) on this machine."""
    from bench.lifecycle import NAIVE_ACTIVITIES, NAIVE_SIGNALS

    histories = await bare_histories(n)
    events = sum(len(h.events) for h in histories) / n
    started, cpu_before = time.perf_counter(), time.process_time()
    failures = await replay_bare(histories)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    print(
        f"  SDK floor: {n} bare {NAIVE_SIGNALS}s+{NAIVE_ACTIVITIES}a histories ({events:.0f} events each), "
        f"one process: {n / seconds:6.0f} histories/s, {1000 * seconds / n / events:.3f} ms per event, "
        f"CPU {1000 * cpu / n / events:.3f} ms; failures: {failures}"
    )
    return 1000 * seconds / n / events, 1000 * cpu / n / events


def ratio_line(what: str, ours: float, floor: float) -> str:
    """Issue 27.4's figure: our replay per event over the SDK's floor, with its goal."""
    return f"  {what}, ours / the SDK's floor: {ours / floor:.2f}   (goal <= 1.1, issue 27.4)"


async def _each(histories: list[Any]) -> AsyncIterator[Any]:
    for history in histories:
        yield history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--floor", type=int, default=100, help="the SDK's replay floor on N bare workflows (0: skip)")
    args = parser.parse_args()
    corpus = sorted(CORPUS.glob("*.json"))
    files = [corpus[i % len(corpus)] for i in range(args.files)]
    ours = asyncio.run(measure(files))
    measure_audit_way(files)
    if args.floor:
        bare = asyncio.run(floor(args.floor))
        print(ratio_line("per event", ours[0], bare[0]))
        print(ratio_line("CPU per event", ours[1], bare[1]))  # both vary on a shared host: see replay_instructions


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # the SDK's core threads can abort at interpreter finalization
