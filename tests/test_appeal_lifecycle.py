"""Appeal lifecycle on the time-skipping server: every path named in the issue."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.worker import Worker

from models.registry import CaseRecord, EventRecord, NotificationRecord
from tests.factories import appeal_dict
from tests.scenario import move, start_appeal, status


async def test_happy_path(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict()
    handle = await start_appeal(client, worker, appeal)
    st = await move(handle, "accept", "housing-dept", "executor")
    assert st.state == "under_consideration"
    assert st.executor == "housing-dept"
    st = await move(handle, "submit_answer", "housing-dept", "executor", answer_text="Ремонт в мае.",
                    answer_character="satisfied")
    assert st.state == "answered"
    st = await move(handle, "approve", "head-1", "head")
    assert st.state == "closed" and st.closure_reason == "answered"
    final = await handle.result()
    assert [h.trigger for h in final.history] == ["route", "accept", "submit_answer", "approve"]
    with Session(engine) as s:
        card = s.get(CaseRecord, appeal["reg_number"])
        assert card is not None and card.state == "closed" and card.closure_reason == "answered"
        events = s.exec(select(EventRecord).where(EventRecord.reg_number == appeal["reg_number"])).all()
        assert [e.trigger for e in events] == ["register", "route", "accept", "submit_answer", "approve"]
        templates = {n.template for n in s.exec(select(NotificationRecord)).all()}
        assert {"acknowledgement", "assignment", "answer_letter"} <= templates
