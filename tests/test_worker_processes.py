"""Workers scale by process on one host (issue 27.3): `worker.py --processes 2` runs two worker
processes on the same task queue and registry, starts again one that dies, and stops them all
gracefully on one SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from models.registry import make_engine
from tests import factories
from tests.scenario import registration
from tests.test_no_wedge import failed_tasks
from tests.test_worker_settings import start_worker

ROOT = Path(__file__).resolve().parent.parent
STARTED = re.compile(r"worker process (\d) of 2 started: pid (\d+)")


async def wait_for(condition: object, what: str, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()}"
        await asyncio.sleep(0.2)


async def pollers(env: WorkflowEnvironment) -> set[str]:
    """The identities polling the appeals queue for workflow tasks (the SDK's `pid@host`)."""
    answer = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name="appeals"),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return {p.identity for p in answer.pollers}


async def test_two_processes_share_the_queue_restart_a_dead_one_and_stop_on_one_sigterm(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    parent, log, registry = start_worker(dev_env, tmp_path, "--processes", "2", shutdown_seconds=10)
    try:
        await wait_for(lambda: log.read_text().count("worker on task queue") >= 2, "two workers up", log)
        children = {slot: int(pid) for slot, pid in STARTED.findall(log.read_text())}
        assert set(children) == {"1", "2"} and len(set(children.values())) == 2
        # Both processes poll the one queue (the server lists each by its pid).
        deadline = time.monotonic() + 60
        while True:
            identities = await pollers(dev_env)
            if all(any(i.startswith(f"{pid}@") for i in identities) for pid in children.values()):
                break
            assert time.monotonic() < deadline, (children, identities)
            await asyncio.sleep(0.5)

        # Cases run: six appeals registered and written to the one registry, no failed task.
        handles = []
        for _ in range(6):
            appeal = factories.appeal_dict()
            handles.append(
                await dev_env.client.start_workflow(
                    "AppealWorkflow",
                    await registration(dev_env.client, appeal),
                    id=appeal["reg_number"],
                    task_queue="appeals",
                )
            )
        engine = make_engine(f"sqlite:///{registry}")
        numbers = [h.id for h in handles]

        def cards() -> int:
            with engine.connect() as conn:
                marks = ",".join("?" * len(numbers))
                query = f"SELECT count(*) FROM cases WHERE reg_number IN ({marks})"
                return int(conn.exec_driver_sql(query, tuple(numbers)).scalar_one())

        await wait_for(lambda: cards() == 6, "six cards", log)
        engine.dispose()

        # One worker dies outright: the parent starts it again.
        os.kill(children["2"], signal.SIGKILL)
        await wait_for(lambda: "exited with -9; starting it again" in log.read_text(), "the death noticed", log)
        await wait_for(lambda: len(STARTED.findall(log.read_text())) == 3, "a new worker 2", log)
        restarted = int(STARTED.findall(log.read_text())[-1][1])
        assert restarted not in children.values()
        await wait_for(lambda: log.read_text().count("worker on task queue") >= 3, "the new worker up", log)

        # One SIGTERM stops them all, each after its in-flight work; the parent exits 0.
        parent.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(parent.wait, 120)
    finally:
        if parent.poll() is None:
            parent.kill()
    output = log.read_text()
    assert code == 0, output
    assert "worker processes stopped: exit codes [0, 0]" in output
    assert output.count("worker stopped") == 2, output  # the two live ones, each gracefully
    assert "Traceback" not in output, output
    for pid in (children["1"], restarted):
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    for handle in handles:
        assert await failed_tasks(handle) == 0
