"""A side effect that cannot succeed, and a bug in a move's handler, are surfaced, not retried forever:
the case keeps running, records the failure, sets CaseAttention, and an operator retries after a fix."""

from __future__ import annotations

import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.letters import TEMPLATE_DIR, TEMPLATE_DIR_ENV
from models.case_status import CaseStatus
from models.moves import MoveRequest
from models.registry import CaseRecord, EventRecord, NotificationRecord
from runtime import search_attributes as sa
from tests.factories import appeal_dict
from tests.scenario import answer, hand_over, move, registration, start_appeal, status, until_state, worker_for
from tests.test_no_wedge import failed_tasks
from workflows.appeal import AppealWorkflow


async def attention(handle: Any) -> bool | None:
    described = await handle.describe()
    return described.typed_search_attributes.get(sa.CASE_ATTENTION)


async def test_a_letter_that_fails_to_render_is_recorded_and_retried_after_the_fix(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine, tmp_path: Path, monkeypatch: Any
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates)
    letter = templates / "ru" / "answer_letter.txt.j2"
    good = letter.read_text(encoding="utf-8")
    letter.write_text(good + "\n{{ signature_of_the_akim }}\n", encoding="utf-8")  # not in the context: fails
    monkeypatch.setenv(TEMPLATE_DIR_ENV, str(templates))

    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")
    await move(handle, "accept", "housing-dept", "executor")
    await answer(handle, "housing-dept", "Крыша отремонтирована.", "satisfied")
    st = await move(handle, "approve", "head-1", "head")
    assert st.appeal.approved_at and st.state == "answered"  # the move stands: the decision was made and recorded
    assert len(st.failed_effects) == 1 and "answer_letter" in st.failed_effects[0]
    assert "signature_of_the_akim" in st.failed_effects[0]
    assert any(t.kind == "side_effect_failed" for t in st.timeline)
    assert await attention(handle) is True
    with Session(engine) as session:
        assert not session.exec(select(NotificationRecord).where(NotificationRecord.template == "answer_letter")).all()

    letter.write_text(good, encoding="utf-8")  # the fix
    st = await move(handle, "retry_side_effects", "head-1", "head")
    assert st.failed_effects == [] and st.history[-1].trigger == "retry_side_effects"
    await hand_over(handle, st)  # the letter, written now, is delivered: the answer is given
    await handle.result()  # nothing left: the case finishes
    st = await status(handle)
    assert st.state == "closed" and st.history[-1].trigger == "record_delivery"
    assert await attention(handle) is False
    with Session(engine) as session:
        letters = session.exec(select(NotificationRecord).where(NotificationRecord.reg_number == handle.id)).all()
        assert [n.template for n in letters].count("answer_letter") == 1
    assert await failed_tasks(handle) == 0


@workflow.defn(name="AppealWorkflow", sandboxed=False)
class AppealWorkflowWithABug(AppealWorkflow):
    """The real appeal, except that `accept` has a bug after the state has moved."""

    @workflow.init
    def __init__(self, run: Any) -> None:
        super().__init__(run)

    @workflow.run
    async def run(self, run: Any) -> CaseStatus:
        return await super().run(run)

    async def on_accept(self, move: MoveRequest) -> str | None:
        self.make_move(move)
        self.case.executor = "somebody-else"
        raise KeyError("a bug in the handler")


async def test_a_bug_in_a_handler_leaves_no_half_made_move(
    env: WorkflowEnvironment, client: Client, engine: Engine
) -> None:
    queue = f"buggy-{uuid.uuid4()}"
    with ThreadPoolExecutor(4) as pool:
        async with worker_for(client, engine, queue, [AppealWorkflowWithABug], pool):
            data = appeal_dict()
            sealed_data = await registration(client, data)
            handle = await client.start_workflow("AppealWorkflow", sealed_data, id=data["reg_number"], task_queue=queue)
            await until_state(handle, "routed")
            before = await status(handle)
            with Session(engine) as session:
                events_before = len(session.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all())
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await move(handle, "accept", "housing-dept", "executor")
            reason = str(refused.value.cause)
            assert "could not be made" in reason and "a bug in the handler" in reason
            after = await status(handle)
            assert after.state == "routed" and after.executor == before.executor and after.history == before.history
            assert len(after.failed_effects) == 1 and await attention(handle) is True
            with Session(engine) as session:
                card = session.get(CaseRecord, handle.id)
                assert card is not None and card.state == "routed"
                events = session.exec(select(EventRecord).where(EventRecord.reg_number == handle.id)).all()
                assert len(events) == events_before
            st = await move(handle, "withdraw", "reg-1", "registrar", reason="отозвано")  # the case still moves
            assert st.state == "closed"
            st = await move(handle, "retry_side_effects", "ctl-1", "controller")  # acknowledged: nothing to rerun
            assert st.failed_effects == []
            await handle.result()
            assert await failed_tasks(handle) == 0
