"""Issue 8's reproductions: nothing a client sends can wedge, terminate or rewind a case.

Each test sends what broke a case in release 1 and checks that the input is refused (and
recorded), that no workflow task failed, and that the case keeps working.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import RawValue, WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.case_status import CaseStatus
from models.registry import CaseRecord, EventRecord
from runtime.codec import EncryptionCodec
from tests import test_instruction, test_reception
from tests.factories import appeal_dict
from tests.scenario import move, registration, start_appeal, status, until_state
from tooling.client import data_converter


async def failed_tasks(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(e.HasField("workflow_task_failed_event_attributes") for e in history.events)


async def refusals_reach(handle: WorkflowHandle[Any, Any], count: int) -> CaseStatus:
    """Signals are asynchronous: wait (bounded) until the case has recorded `count` refusals."""
    st = await status(handle)
    for _ in range(100):
        if len(st.refusals) >= count:
            return st
        await asyncio.sleep(0.05)
        st = await status(handle)
    raise AssertionError(f"only {len(st.refusals)} refusals recorded: {[r.message for r in st.refusals]}")


async def routed_appeal(client: Client, worker: Worker) -> WorkflowHandle[Any, Any]:
    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")
    return handle


async def test_reception_instruction_update_with_a_list_number_is_refused(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: `instruction_update` with {"reg_number": ["x"]} raised TypeError (unhashable list)."""
    handle = await test_reception.start(client, worker, env)
    forged = {
        "reg_number": ["x"],
        "executor": "e",
        "state": "closed",
        "overdue": False,
        "closure_reason": "",
        "deadline": "",
    }
    await handle.signal("instruction_update", forged)
    await handle.signal("instruction_news", ["x"])
    st = await refusals_reach(handle, 2)
    assert st.state == "registered"
    assert await failed_tasks(handle) == 0


async def test_forged_instruction_news_cannot_complete_a_reception(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: `instruction_update` saying "closed" for each instruction completed the reception
    and sent the citizen the answer letter while the instructions were still routed."""
    handle, _ = await test_reception.booked(env, client, worker, engine)
    specs = [
        {"executor": "housing-dept", "text": "Откачать воду.", "term_working_days": 5},
        {"executor": "roads-dept", "text": "Засыпать яму.", "term_working_days": 5},
    ]
    await move(handle, "hold", "housing-head", "official", answer_text="Поручено.", details={"instructions": specs})
    for i in (1, 2):
        number = f"{handle.id}-{i}"
        await test_reception.until(client.get_workflow_handle(number), lambda s: s.state == "routed")
        forged = {"reg_number": number, "executor": "x", "state": "closed", "overdue": False}
        await handle.signal("instruction_update", {**forged, "closure_reason": "answered", "deadline": ""})
        await handle.signal("instruction_news", number)  # the real wake-up, sent by hand
    await refusals_reach(handle, 2)
    st = await test_reception.until(handle, lambda s: {i.state for i in s.reception.instructions} == {"routed"})
    assert st.state == "under_consideration"
    with Session(engine) as session:
        card = session.get(CaseRecord, handle.id)
        assert card is not None and card.state == "under_consideration"
    assert await failed_tasks(handle) == 0


async def test_findings_with_poor_executors_as_a_number_are_refused(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: `record_findings` with details.poor_executors = 5 raised after the move was made."""
    handle = await test_instruction.start(env, client, worker, control="once", periods=1)
    lead = test_instruction.LEAD
    await test_instruction.until(handle, lambda s: s.state == "routed")
    await move(handle, "report", lead, "executor", answer_text="Сделано.")
    await move(handle, "submit_consolidated", lead, "executor", answer_text="Свод.")
    await handle.signal(
        "record_findings",
        {
            "actor": {"id": "ctl-1", "role": "controller"},
            "answer_text": "x",
            "details": {"verdict": "poor", "poor_executors": 5},
        },
    )
    st = await refusals_reach(handle, 1)
    assert "details.poor_executors" in st.refusals[-1].message
    assert st.state == "answered" and [h.trigger for h in st.history][-1] == "submit_consolidated"
    st = await test_instruction.poor_findings(handle, "Плохо.", [lead])
    assert st.state == "returned_for_finalization"
    assert await failed_tasks(handle) == 0


async def test_undecryptable_signal_is_refused_and_the_case_keeps_its_timers(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: a `binary/encrypted` signal the worker cannot decrypt failed every workflow task."""
    handle = await routed_appeal(client, worker)
    config = client.config()
    config["data_converter"] = data_converter(encrypt=False)  # a client without our key
    stranger = Client(**config).get_workflow_handle(handle.id)
    our_key = EncryptionCodec().ring.active.encode()
    forged = Payload(metadata={"encoding": b"binary/encrypted", "encryption-key-id": our_key}, data=b"garbage" * 4)
    await stranger.signal("accept", RawValue(forged))
    other_key = Payload(metadata={"encoding": b"binary/encrypted", "encryption-key-id": b"k9"}, data=b"x" * 40)
    await stranger.signal("accept", RawValue(other_key))
    st = await refusals_reach(handle, 2)
    messages = " | ".join(r.message for r in st.refusals)
    assert "fails authentication" in messages and "'k9'" in messages
    for _ in range(8):  # the term passes: the escalation still comes (short skips: one long one can time out)
        await env.sleep(timedelta(days=5))
    st = await status(handle)
    assert st.overdue and any(t.kind == "escalation" for t in st.timeline)
    assert await failed_tasks(handle) == 0


async def test_deep_nesting_and_extra_arguments_are_refused_and_recorded(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: these were dropped with a RecursionError/TypeError in the worker log only."""
    handle = await routed_appeal(client, worker)
    deep_array = Payload(metadata={"encoding": b"json/plain"}, data=b"[" * 10_000 + b"]" * 10_000)
    deep_object = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":' * 5_000 + b"1" + b"}" * 5_000)
    await handle.signal("accept", RawValue(deep_array))
    await handle.signal("accept", RawValue(deep_object))
    actor = {"actor": {"id": "housing-dept", "role": "executor"}}
    await handle.signal("accept", args=[actor, actor])
    await handle.signal("no_such_signal", actor)
    st = await refusals_reach(handle, 4)
    messages = [r.message for r in st.refusals]
    assert sum("nested too deeply" in m for m in messages) == 2, messages
    assert any("2 arguments" in m for m in messages) and any("not a move of this case" in m for m in messages)
    assert st.state == "routed"
    st = await move(handle, "accept", "housing-dept", "executor")  # the case still moves
    assert st.state == "under_consideration"
    assert await failed_tasks(handle) == 0


async def test_a_registration_number_runs_once_whoever_starts_it(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Release 1: starting a closed appeal's number again (any client, any id-reuse policy) started
    a second run and moved the registry card from closed back to routed."""
    data = appeal_dict()
    handle = await start_appeal(client, worker, data)
    await until_state(handle, "routed")
    await move(handle, "withdraw", "reg-1", "registrar", reason="отозвано")
    await handle.result()
    with Session(engine) as session:
        events_before = len(session.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all())
    again = await client.start_workflow(
        "AppealWorkflow",
        await registration(client, data),
        id=data["reg_number"],
        task_queue=worker.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    with pytest.raises(WorkflowFailureError) as refused:
        await again.result()
    assert "already registered" in str(refused.value.cause)
    with Session(engine) as session:
        card = session.get(CaseRecord, handle.id)
        assert card is not None and card.state == "closed" and card.closure_reason == "withdrawn"
        events = session.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all()
        assert len(events) == events_before
