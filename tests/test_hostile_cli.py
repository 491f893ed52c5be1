"""A hostile client with nothing but the real `temporal` CLI against the dev server (with the
server limits of temporal-dev.yaml): forged encodings, garbage, internal signal names, a closed
number started again, and a flood of the largest payloads the server accepts. No workflow task
may fail, and the case must keep moving."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.client import RPCError
from temporalio.testing import WorkflowEnvironment

from models.case_status import CaseStatus
from models.registry import CaseRecord
from runtime.client import TASK_QUEUE
from tests.conftest import Served
from tests.factories import appeal_dict
from tests.scenario import until_state

TEMPORAL = str(Path(sys.executable).parent / "temporal")


async def temporal(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    address = env.client.service_client.config.target_host
    return await asyncio.to_thread(
        subprocess.run, [TEMPORAL, *args, "--address", address], capture_output=True, text=True, timeout=60
    )


async def task_failures(env: WorkflowEnvironment, number: str, run_id: str = "") -> int:
    """EVENT_TYPE_WORKFLOW_TASK_FAILED in `temporal workflow show -o json`, as an operator counts
    them, except UNHANDLED_COMMAND: the server's own refusal of a continue-as-new while signals
    keep arriving (the task is retried with them; nothing of ours failed)."""
    shown = await temporal(env, "workflow", "show", "-w", number, *(["-r", run_id] if run_id else []), "-o", "json")
    assert shown.returncode == 0, shown.stderr
    failed = [e for e in json.loads(shown.stdout)["events"] if e["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_FAILED"]
    causes = [e.get("workflowTaskFailedEventAttributes", {}).get("cause", "") for e in failed]
    return sum(cause != "WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND" for cause in causes)


async def status(env: WorkflowEnvironment, number: str) -> CaseStatus:
    return await env.client.get_workflow_handle(number).query("status", result_type=CaseStatus)


async def routed(env: WorkflowEnvironment, number: str) -> CaseStatus:
    return await until_state(env.client.get_workflow_handle(number), "routed")


async def refusals(env: WorkflowEnvironment, number: str, count: int) -> CaseStatus:
    for _ in range(200):
        st = await status(env, number)
        if len(st.refusals) + st.refusals_dropped >= count:
            return st
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} refusals never recorded")


async def test_garbage_from_the_temporal_cli_is_refused_and_recorded(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data = appeal_dict()
    number = data["reg_number"]
    await dev_env.client.start_workflow("AppealWorkflow", data, id=number, task_queue=TASK_QUEUE)
    await routed(dev_env, number)
    attacks: list[list[str]] = [
        ["--name", "accept", "--input", '"garbage"', "--input-meta", "encoding=binary/encrypted"],
        ["--name", "accept", "--input", '"garbage"'],
        ["--name", "accept", "--input", '{"actor": {"id": "housing-dept", "role": "executor"}, "details": {"x": 1}}'],
        ["--name", "accept", "--input", "[" * 3000 + "]" * 3000],
        ["--name", "accept", "--input", "{}", "--input", "{}"],
        ["--name", "instruction_update", "--input", '{"reg_number": ["x"], "state": "closed"}'],
        ["--name", "approve", "--input", '{"actor": {"id": "h", "role": "head"}, "answer_text": "\\u0000"}'],
        ["--name", "__temporal_workflow_metadata", "--input", "{}"],
        # Table v2's moves (issue 9), with garbage where their details and targets go.
        [
            "--name",
            "forward_part",
            "--input",
            '{"actor": {"id": "c", "role": "controller"}, "target": "x", "reason": "r"}',
        ],
        [
            "--name",
            "forward_part",
            "--input",
            '{"actor": {"id": "c", "role": "controller"}, "details": {"questions": 7}}',
        ],
        ["--name", "terminate_consideration", "--input", '{"actor": {"id": "c", "role": "controller"}, "details": {}}'],
        [
            "--name",
            "leave_without_consideration",
            "--input",
            '{"actor": {"id": "c", "role": "controller"}, "details": {"ground": "bored"}}',
        ],
        ["--name", "consider_as_new", "--input", '{"actor": {"id": "c", "role": "controller"}, "reason": "r"}'],
        [
            "--name",
            "extend_deadline",
            "--input",
            '{"actor": {"id": "h", "role": "deputy_head"}, "new_deadline": "2099-01-01", "reason": "r"}',
        ],
        [
            "--name",
            "forward",
            "--input",
            '{"actor": {"id": "c", "role": "controller"}, "target": "Минтруда", "reason": "r"}',
        ],
    ]
    for attack in attacks:
        sent = await temporal(dev_env, "workflow", "signal", "-w", number, *attack)
        assert sent.returncode == 0, (attack, sent.stderr)
    update = await temporal(
        dev_env, "workflow", "update", "execute", "-w", number, "--name", "transition", "--input", "[1, 2]"
    )
    assert update.returncode != 0 and "payload: must be a JSON object" in update.stderr + update.stdout
    assert "Traceback" not in update.stderr + update.stdout
    st = await refusals(dev_env, number, len(attacks))
    assert st.state == "routed" and [h.trigger for h in st.history] == ["route"]
    moved = await temporal(
        dev_env,
        "workflow",
        "signal",
        "-w",
        number,
        "--name",
        "accept",
        "--input",
        '{"actor": {"id": "housing-dept", "role": "executor"}}',
    )
    assert moved.returncode == 0
    for _ in range(100):
        if (await status(dev_env, number)).state == "under_consideration":
            break
        await asyncio.sleep(0.05)
    assert (await status(dev_env, number)).state == "under_consideration"
    assert await task_failures(dev_env, number) == 0


async def test_a_closed_number_started_again_from_the_cli_is_refused(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data = appeal_dict()
    number = data["reg_number"]
    handle = await dev_env.client.start_workflow("AppealWorkflow", data, id=number, task_queue=TASK_QUEUE)
    await routed(dev_env, number)
    await handle.execute_update(
        "transition", {"trigger": "withdraw", "actor": {"id": "reg-1", "role": "registrar"}, "reason": "отозвано"}
    )
    await handle.result()
    again = await temporal(
        dev_env,
        "workflow",
        "start",
        "--type",
        "AppealWorkflow",
        "--task-queue",
        TASK_QUEUE,
        "-w",
        number,
        "--id-reuse-policy",
        "AllowDuplicate",
        "--input",
        json.dumps(data, ensure_ascii=False),
    )
    assert again.returncode == 0, again.stderr
    second = dev_env.client.get_workflow_handle(number)
    with pytest.raises(Exception) as refused:
        await second.result()
    assert "already registered" in str(getattr(refused.value, "cause", refused.value))
    with Session(served.engine) as session:
        card = session.get(CaseRecord, number)
        assert card is not None and card.state == "closed" and card.closure_reason == "withdrawn"


async def test_a_hundred_refused_signals_of_the_largest_size_leave_the_case_healthy(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data = appeal_dict()
    number = data["reg_number"]
    handle = await dev_env.client.start_workflow("AppealWorkflow", data, id=number, task_queue=TASK_QUEUE)
    first_run = handle.first_execution_run_id
    await routed(dev_env, number)
    largest: Any = {"actor": {"id": "auditor-1", "role": "auditor"}, "answer_text": "я" * 40_000}  # ~240 KB as sent
    with pytest.raises(RPCError) as too_big:  # past the blob limit the server refuses it: nothing enters history
        await handle.signal("submit_answer", {**largest, "answer_text": "я" * 50_000})
    assert "size" in str(too_big.value).lower() or "limit" in str(too_big.value).lower()
    for _ in range(100):
        await handle.signal("submit_answer", largest)
    st = await refusals(dev_env, number, 100)
    assert all("too large" in r.message for r in st.refusals[-5:])
    described = await handle.describe()
    assert described.status is not None and described.status.name == "RUNNING"
    st = await handle.execute_update(
        "transition", {"trigger": "accept", "actor": {"id": "housing-dept", "role": "executor"}}, result_type=CaseStatus
    )
    assert st.state == "under_consideration"
    history = await dev_env.client.get_workflow_handle(number).fetch_history()
    size = sum(e.ByteSize() for e in history.events)
    assert size < 30_000_000  # far from the 50 MB limit
    assert first_run is not None and await task_failures(dev_env, number, first_run) == 0
    assert await task_failures(dev_env, number) == 0
