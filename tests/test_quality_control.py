"""Appeals under the akim's control (issue 12, seed 5.4): the controller or the head takes an
appeal under control, a return or an approval then carries a quality rating, the registry and the
Web UI (search attribute) show it, and the performance report shows quality by executor."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.worker import Worker

from analysis.reports import build
from analysis.scope import Scope
from models.registry import CaseRecord, EventRecord
from runtime.search_attributes import CASE_CONTROL
from tests.factories import appeal_dict
from tests.scenario import accepted, answer, approve_and_deliver, move, refused, start_appeal, status

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)


async def test_an_appeal_under_control_has_its_answers_rated(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict(category="utilities")
    number = appeal["reg_number"]
    handle = await start_appeal(client, worker, appeal)
    assert "take_under_control" in await refused(
        handle, "take_under_control", "utilities-dept", "executor", reason="резонанс"
    )
    await move(handle, "take_under_control", "ctl-1", "controller", reason="резонансное обращение")
    assert "already under the akim's control" in await refused(
        handle, "take_under_control", "head-1", "head", reason="ещё раз"
    )
    await move(handle, "accept", "utilities-dept", "executor")
    await answer(handle, "utilities-dept", "Изучаем.")
    before = await status(handle)
    assert "details.rating (1-5) and details.remark" in await refused(
        handle, "return_for_finalization", "ctl-1", "controller", reason="не по существу"
    )
    assert (await status(handle)).history == before.history  # a refused move changes nothing
    assert "details.rating" in await refused(
        handle, "return_for_finalization", "ctl-1", "controller", reason="x", details={"rating": 7, "remark": "?"}
    )
    st = await move(
        handle,
        "return_for_finalization",
        "ctl-1",
        "controller",
        reason="не по существу",
        details={"rating": 2, "remark": "ответ не отвечает на вопрос заявителя"},
    )
    assert st.history[-1].detail["quality_rating"] == "2"
    await answer(handle, "utilities-dept", "Трубы заменят.", "satisfied")
    st = await approve_and_deliver(handle, details={"rating": 5, "remark": "полный ответ"})
    assert st.state == "closed"
    with Session(engine) as session:
        card = session.get(CaseRecord, number)
        ratings = session.exec(select(EventRecord.quality_rating).where(EventRecord.reg_number == number)).all()
    assert card is not None and card.under_control
    assert [r for r in ratings if r is not None] == [2, 5]
    description = await handle.describe()
    assert description.typed_search_attributes.get(CASE_CONTROL) == "akim"
    received = date.fromisoformat(card.received_on)
    report = build("performance", engine, Scope(received, received))
    assert report.tables["quality"] == [
        {"executor": "utilities-dept", "under_control": 1, "reviews": 2, "average_rating": 3.5, "returned": 1}
    ]
    assert 'id="quality"' in report.html


async def test_without_control_a_rating_is_optional(client: Client, worker: Worker, engine: Engine) -> None:
    handle = await accepted(client, worker, "utilities-dept", category="utilities")
    await answer(handle, "utilities-dept", "Ответ.")
    st = await approve_and_deliver(handle, "ctl-1", "controller")
    approval = next(h for h in st.history if h.trigger == "approve")
    assert st.state == "closed" and "quality_rating" not in approval.detail
