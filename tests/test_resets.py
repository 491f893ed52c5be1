"""A reset through Temporal neither rewinds nor reopens a case (issue 20, attack 3).

The reproduction: `temporal workflow reset --type FirstWorkflowTask --reapply-exclude All` on an
approved (closed) case ran it again as `routed` while the registry said `closed`, and a later
`accept` was taken by the case and dropped by the registry, with no flag; on an open case the
registry rewound with the workflow. Now a reset run notices the reset (Temporal gives a workflow a
new random seed at the reset point, in the live run and in replay alike), records it once,
alerts the head and the auditors, flags itself and refuses every move; the registry keeps the case
as it was, the history replays, and compliance lists the reset.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.registry import OUTSIDE_RESET
from models.case_status import CaseStatus
from models.registry import CaseRecord, EventRecord, NotificationRecord
from tests.conftest import Served
from tests.factories import appeal_dict
from tests.scenario import answer, approve_and_deliver, move, refused, registration, sealed, until_state
from tests.test_case_card import card_of
from tests.test_dev_server import audit
from tests.test_hostile_cli import task_failures, temporal
from tooling.client import TASK_QUEUE
from tooling.replay import replayer
from workflows.outside import RESET_REFUSAL


async def an_appeal(dev_env: WorkflowEnvironment) -> Any:
    client = dev_env.client
    appeal = appeal_dict(category="housing")
    handle = await client.start_workflow(
        "AppealWorkflow", await registration(client, appeal), id=appeal["reg_number"], task_queue=TASK_QUEUE
    )
    await until_state(handle, "routed")
    await move(handle, "accept", "housing-dept", "executor")
    await answer(handle, "housing-dept", "Сделано.", "satisfied")
    return handle


async def reset_run_status(dev_env: WorkflowEnvironment, number: str, old_run: str) -> CaseStatus:
    handle = dev_env.client.get_workflow_handle(number)
    for _ in range(200):
        if (await handle.describe()).run_id != old_run:
            st: CaseStatus = await handle.query("status", result_type=CaseStatus)
            if st.outside_interventions:
                return st
        await asyncio.sleep(0.05)
    raise AssertionError("the reset run never said it was reset")


async def registry_rows(served: Served, number: str) -> tuple[str, list[EventRecord], list[NotificationRecord]]:
    with Session(served.engine) as s:
        card = s.get(CaseRecord, number)
        events = list(s.exec(select(EventRecord).where(EventRecord.reg_number == number)))
        notices = list(s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == number)))
    assert card is not None
    return card.state, events, notices


async def the_reset_run_is_parked(dev_env: WorkflowEnvironment, served: Served, number: str, state: str) -> None:
    """Refuses a move, alerts once, flags itself, keeps the registry, replays, fails no task."""
    handle = dev_env.client.get_workflow_handle(number)
    assert "reset through Temporal" in await refused(handle, "accept", "housing-dept", "executor")
    card_state, events, notices = await registry_rows(served, number)
    assert card_state == state  # never rewound, never reopened
    resets = [e for e in events if e.trigger == OUTSIDE_RESET]
    assert len(resets) == 1 and (resets[0].from_state, resets[0].to_state) == (state, state)
    alerts = [n for n in notices if n.template == OUTSIDE_RESET]
    assert sorted(n.recipient for n in alerts) == ["auditor", "head"] and number in alerts[0].subject
    described = await handle.describe()
    assert described.typed_search_attributes is not None
    attention = [p.value for p in described.typed_search_attributes if p.key.name == "CaseAttention"]
    assert attention == [True]
    before = len((await handle.query("status", result_type=CaseStatus)).refusals)  # re-applied moves, refused
    await handle.signal("accept", await sealed(handle, "accept", {"actor": {"id": "housing-dept", "role": "executor"}}))
    for _ in range(200):  # a signal's refusal is recorded (an Update's validator keeps no record)
        st: CaseStatus = await handle.query("status", result_type=CaseStatus)
        if len(st.refusals) > before:
            break
        await asyncio.sleep(0.05)
    assert st.refusals[-1].trigger == "accept" and {r.message for r in st.refusals} == {RESET_REFUSAL}
    details = await card_of(handle)
    assert "reset through Temporal outside the engine" in details  # the card in the Web UI says so
    assert (await registry_rows(served, number))[0] == state
    assert await task_failures(dev_env, number) == 0
    history = await handle.fetch_history()
    assert (await replayer().replay_workflow(history, raise_on_replay_failure=False)).replay_failure is None


async def test_a_reset_does_not_reopen_a_closed_case(dev_env: WorkflowEnvironment, served: Served) -> None:
    handle = await an_appeal(dev_env)
    await approve_and_deliver(handle)
    assert (await handle.result())["state"] == "closed"
    old_run = (await handle.describe()).run_id
    reset = await temporal(
        dev_env, "workflow", "reset", "-w", handle.id, "--type", "FirstWorkflowTask", "--reapply-exclude", "All",
        "-y", "--reason", "attack",
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    st = await reset_run_status(dev_env, handle.id, old_run)
    assert "reset through Temporal outside the engine" in st.outside_interventions[0]
    assert any(t.kind == "reset_outside_engine" for t in st.timeline)
    await the_reset_run_is_parked(dev_env, served, handle.id, "closed")
    found = await audit("compliance", env=served.env)
    assert found.returncode == 1, found.stdout + found.stderr
    lines = [line for line in found.stdout.splitlines() if handle.id in line]
    assert any("reset outside the engine" in line for line in lines), found.stdout
    assert not any("intervention outside the engine" in line for line in lines)  # listed once


@pytest.mark.parametrize("point", [1, -2])  # the first task after the start; the last move's task
async def test_a_reset_that_reapplies_the_moves_does_not_rewind_an_open_case(
    dev_env: WorkflowEnvironment, served: Served, point: int
) -> None:
    handle = await an_appeal(dev_env)
    await move(handle, "return_for_finalization", "head-1", "head", reason="Неполный ответ")
    shown = await temporal(dev_env, "workflow", "show", "-w", handle.id, "-o", "json")
    completed = [e["eventId"] for e in json.loads(shown.stdout)["events"] if e["eventType"].endswith("TASK_COMPLETED")]
    old_run = (await handle.describe()).run_id
    reset = await temporal(
        dev_env, "workflow", "reset", "-w", handle.id, "--event-id", completed[point], "-y", "--reason", "attack"
    )  # re-applies the signals and Updates after the point (the CLI's default)
    assert reset.returncode == 0, reset.stderr
    await reset_run_status(dev_env, handle.id, old_run)
    await the_reset_run_is_parked(dev_env, served, handle.id, "returned_for_finalization")


async def test_the_reconciliation_finds_cases_changed_outside_the_engine(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """Open cards against running cases: a reset closed case, a terminated open case and a
    rewound open case are found (the head and the auditors get the list); an untouched case is not."""
    client = dev_env.client
    untouched = await an_appeal(dev_env)
    terminated = await an_appeal(dev_env)
    reopened = await an_appeal(dev_env)
    await approve_and_deliver(reopened)
    await reopened.result()
    rewound = await an_appeal(dev_env)
    old_runs = {h.id: (await h.describe()).run_id for h in (reopened, rewound)}
    await temporal(dev_env, "workflow", "terminate", "-w", terminated.id, "--reason", "attack")
    for handle, reset_type in ((reopened, "FirstWorkflowTask"), (rewound, "FirstWorkflowTask")):
        done = await temporal(
            dev_env, "workflow", "reset", "-w", handle.id, "--type", reset_type, "-y", "--reason", "x"
        )
        assert done.returncode == 0, done.stderr
        await reset_run_status(dev_env, handle.id, old_runs[handle.id])
    checked = await client.execute_workflow(
        "ReconciliationWorkflow", {"settle_seconds": 0}, id=f"reconcile-{untouched.id}", task_queue=TASK_QUEUE
    )
    ours = {untouched.id, terminated.id, reopened.id, rewound.id}
    found = {d["reg_number"]: (d["what"], d["detail"]) for d in checked["differences"] if d["reg_number"] in ours}
    assert found[terminated.id] == ("open card, no running case", found[terminated.id][1])
    assert "terminated" in found[terminated.id][1]
    assert found[reopened.id][0] == "running case, card closed"
    assert found[rewound.id] == ("state differs", "case registered, registry answered")
    assert untouched.id not in found
    with Session(served.engine) as s:
        notices = list(s.exec(select(NotificationRecord).where(NotificationRecord.template == "reconciliation")))
    assert sorted(n.recipient for n in notices) == ["auditor", "head"]
    assert all(number in notices[0].body for number in (terminated.id, reopened.id, rewound.id))
