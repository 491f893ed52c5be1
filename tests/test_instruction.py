"""Control of Presidential instructions on the time-skipping server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.case_status import CaseStatus
from models.registry import CaseRecord, DisciplinaryProposalRecord, DocumentRecord, EventRecord
from policies.calendar import add_months
from tests.scenario import move, refused, registration, sealed, status, until_state
from workflows.instruction import InstructionWorkflow

LEAD, CO, SLOW = "housing-dept", "roads-dept", "land-dept"


def instruction_dict(number: str, now: datetime, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reg_number": number,
        "issuer": "president",
        "issuer_official": "Глава государства, поручение на приёме граждан",
        "text": "Решить вопрос подтопления жилых домов в Медеуском районе.",
        "control": "monthly",
        "first_term": (now.date() + timedelta(days=10)).isoformat(),
        "periods": 3,
        "executors": [LEAD, CO, SLOW],
        "related_appeals": ["APL-2026-000001"],
        "received_at": now.isoformat(),
    }
    data.update(overrides)
    return data


def new_number() -> str:
    import uuid

    return f"PRI-2026-{uuid.uuid4().int % 10**8:08d}"


async def start(env: WorkflowEnvironment, client: Client, worker: Worker, **overrides: Any) -> WorkflowHandle[Any, Any]:
    number = new_number()
    data = instruction_dict(number, await env.get_current_time(), **overrides)
    sealed_data = await registration(client, data)
    return await client.start_workflow(InstructionWorkflow.run, sealed_data, id=number, task_queue=worker.task_queue)


async def until(handle: WorkflowHandle[Any, Any], check: Callable[[CaseStatus], bool]) -> CaseStatus:
    st = await status(handle)
    for _ in range(200):
        if check(st):
            return st
        await asyncio.sleep(0.05)
        st = await status(handle)
    raise AssertionError(f"never held: state={st.state} period={st.instruction.period} timeline={st.timeline[-3:]}")


def next_period(period: int) -> Callable[[CaseStatus], bool]:
    return lambda s: s.instruction.period == period + 1


def reported(period: int) -> Callable[[CaseStatus], bool]:
    return lambda s: s.instruction.period == period and sum(h.trigger == "report" for h in s.history) == period


async def sleep_past(env: WorkflowEnvironment, day: date, extra_days: int = 2) -> None:
    now = await env.get_current_time()
    await env.sleep(timedelta(days=(day - now.date()).days + extra_days))


async def poor_findings(handle: WorkflowHandle[Any, Any], text: str, executors: list[str]) -> CaseStatus:
    """The controller's on-site check found the work of `executors` poor."""
    details = {"verdict": "poor", "poor_executors": executors}
    return await move(handle, "record_findings", "ctl-1", "controller", answer_text=text, details=details)


async def test_three_executors_one_late_twice(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await start(env, client, worker)
    st = await until(handle, lambda s: s.state == "routed")
    assert st.executor == LEAD and [t.executor for t in st.instruction.executors] == [LEAD, CO, SLOW]
    assert "only on cases assigned" in await refused(handle, "report", "education-dept", "executor", answer_text="x")
    for period in (1, 2):
        st = await move(handle, "report", LEAD, "executor", answer_text=f"Отчёт за период {period}")
        assert st.state == "under_consideration" and st.instruction.period == period
        await move(handle, "report", CO, "executor", answer_text=f"Отчёт за период {period}")
        assert "first-named executor" in await refused(
            handle, "submit_consolidated", CO, "executor", answer_text="свод"
        )
        await sleep_past(env, date.fromisoformat(st.deadline))
        st = await until(handle, next_period(period))
    tracks = {t.executor: t for t in st.instruction.executors}
    assert tracks[SLOW].late_terms == 2 and tracks[LEAD].late_terms == 0 and tracks[CO].reports == 2
    kinds = [t.kind for t in st.timeline]
    assert kinds.count("escalation") == 2 and kinds.count("reminder") >= 2 and "disciplinary_proposal" in kinds
    [proposal] = st.instruction.proposals
    assert proposal.executors == [SLOW] and proposal.status == "awaiting_approval"
    with Session(engine) as s:
        row = s.exec(select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.key == proposal.key)).one()
        assert row.status == "awaiting_approval" and "Е. Нурланова" in row.body
    with pytest.raises(WorkflowUpdateFailedError):
        await move(handle, "approve_proposal", "x", "controller", target=proposal.key)  # the head decides
    st = await move(handle, "approve_proposal", "head-1", "head", target=proposal.key)
    assert st.instruction.proposals[0].status == "sent"
    with Session(engine) as s:
        assert (
            s.exec(select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.key == proposal.key))
            .one()
            .status
            == "sent"
        )
        late_events = s.exec(
            select(EventRecord).where(EventRecord.reg_number == handle.id).where(EventRecord.trigger == "late")
        ).all()
    assert len(late_events) == 2
    st = await move(handle, "submit_consolidated", LEAD, "executor", answer_text="Сводный отчёт: дома осушены.")
    assert st.state == "answered"
    conclusion = "Поручение исполнено, с нарушением сроков."
    st = await move(handle, "lift_control", "ctl-1", "controller", answer_text=conclusion)
    assert st.state == "closed" and st.closure_reason == "control_lifted"
    with Session(engine) as s:
        doc = s.exec(select(DocumentRecord).where(DocumentRecord.reg_number == handle.id)).one()
    assert doc.kind == "conclusion" and "land-dept" in doc.body and "снять с контроля" in doc.body


async def test_periodic_control_continues_as_new_and_keeps_the_trail(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    now = await env.get_current_time()
    first_term = now.date() + timedelta(days=10)
    handle = await start(env, client, worker, periods=12, executors=[LEAD], first_term=first_term.isoformat())
    await until(handle, lambda s: s.state == "routed")
    first_run = (await handle.describe()).run_id
    for period in range(1, 13):
        await handle.signal(
            "report",
            await sealed(
                handle, "report", {"actor": {"id": LEAD, "role": "executor"}, "answer_text": f"Отчёт {period}"}
            ),
        )
        st = await until(handle, reported(period))
        if period < 12:
            await sleep_past(env, date.fromisoformat(st.deadline))
            st = await until(handle, next_period(period))
    assert st.runs >= 2, "continued as new at least once"
    reports = [h for h in st.history if h.trigger == "report"]
    assert len(reports) == 12 and [h.detail["period"] for h in reports] == [str(p) for p in range(1, 13)]
    assert st.history[0].trigger == "assign"  # the whole trail, across runs
    assert date.fromisoformat(st.deadline) <= add_months(first_term, 11)
    old = await client.get_workflow_handle(handle.id, run_id=first_run).fetch_history()
    current = await handle.fetch_history()
    assert len(current.events) < 2 * len(old.events)  # bounded, not growing with the months
    st = await move(handle, "submit_consolidated", LEAD, "executor", answer_text="Итог за год.")
    st = await move(handle, "lift_control", "head-1", "head", answer_text="Исполнено.")
    result = await handle.result()
    assert result.state == "closed" and not any(t.late_terms for t in result.instruction.executors)


async def test_extensions_refused_and_approved(env: WorkflowEnvironment, client: Client, worker: Worker) -> None:
    handle = await start(env, client, worker, control="once", periods=1)
    st = await until(handle, lambda s: s.state == "routed")
    term = date.fromisoformat(st.deadline)
    assert "later than the current term" in await refused(
        handle, "request_extension", CO, "executor", new_deadline=(term - timedelta(days=3)).isoformat(), reason="x"
    )
    asked = (term + timedelta(days=20)).isoformat()
    await move(handle, "request_extension", CO, "executor", new_deadline=asked, reason="нужна экспертиза")
    assert "already waiting" in await refused(
        handle, "request_extension", SLOW, "executor", new_deadline=asked, reason="и нам"
    )
    today = (await env.get_current_time()).date().isoformat()
    decision = {"document_number": "21-01-4567", "document_date": today}
    # A user in the role `issuer` from the akim's office (issue 21: "issuer-1" refused a President's
    # instruction's extension by writing decided_by: president): not the President's to speak for.
    assert "only the issuer (president)" in await refused(
        handle, "refuse_extension", "issuer-1", "issuer", reason="не продлевается", details=decision
    )
    st = await move(handle, "refuse_extension", "ctl-1", "controller", reason="срок не продлевается", details=decision)
    assert st.deadline == term.isoformat()
    await move(handle, "request_extension", CO, "executor", new_deadline=asked, reason="экспертиза назначена")
    with pytest.raises(WorkflowUpdateFailedError):
        await move(handle, "approve_extension", CO, "executor", details=decision)  # not the executor's to decide
    with pytest.raises(WorkflowUpdateFailedError) as head:  # nor the department head's (issue 9)
        await move(handle, "approve_extension", "head-1", "head", details=decision)
    assert "may not" in str(head.value.cause) or "not allowed" in str(head.value.cause)
    assert "decided_by" in await refused(
        handle, "approve_extension", "ctl-1", "controller", details={**decision, "decided_by": "akim"}
    )
    assert "details.document_date" in await refused(
        handle, "approve_extension", "ctl-1", "controller", details={"document_number": "21-01-4567"}
    )
    # The controller records the issuer's decision, with its document's number and date.
    st = await move(handle, "approve_extension", "ctl-1", "controller", details=decision)
    assert term < date.fromisoformat(st.deadline) <= date.fromisoformat(asked)
    assert {k: st.history[-1].detail[k] for k in ("decided_by", "recorded_by", "document_number", "document_date")} == {
        "decided_by": "president",
        "recorded_by": "ctl-1",
        "document_number": "21-01-4567",
        "document_date": today,
    }
    assert [h.trigger for h in st.history][-4:] == [
        "request_extension",
        "refuse_extension",
        "request_extension",
        "approve_extension",
    ]
    # After the term, an extension is no longer requested.
    await sleep_past(env, date.fromisoformat(st.deadline))
    with pytest.raises(WorkflowUpdateFailedError) as too_late:
        later = (date.fromisoformat(st.deadline) + timedelta(days=30)).isoformat()
        await move(handle, "request_extension", CO, "executor", new_deadline=later, reason="ещё")
    assert "has ended" in str(too_late.value.cause)


async def test_the_akim_s_office_decides_for_the_akim_and_no_one_else(
    env: WorkflowEnvironment, client: Client, worker: Worker
) -> None:
    from tooling.client import transition
    from tooling.seal import Identity

    handle = await start(env, client, worker, control="once", periods=1, issuer="akim")
    st = await until(handle, lambda s: s.state == "routed")
    asked = (date.fromisoformat(st.deadline) + timedelta(days=20)).isoformat()
    await move(handle, "request_extension", CO, "executor", new_deadline=asked, reason="экспертиза")
    decision = {"document_number": "А-17", "document_date": (await env.get_current_time()).date().isoformat()}
    now = await env.get_current_time()
    elsewhere = Identity("issuer-2", "Из другого отдела", ["issuer"], "housing-dept")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await transition(handle, "approve_extension", elsewhere, "issuer", now=now, details=decision)
    assert "its office is akim-office" in str(refused.value.cause)
    office = Identity("akim-aide", "Помощник акима", ["issuer"], "akim-office")
    st = await transition(handle, "approve_extension", office, "issuer", now=now, details=decision)
    assert st.history[-1].detail["decided_by"] == "akim" and st.history[-1].detail["recorded_by"] == "akim-aide"


async def test_verification_returns_for_finalization(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await start(env, client, worker, control="once", periods=1, executors=[LEAD, CO])
    await until(handle, lambda s: s.state == "routed")
    await move(handle, "report", LEAD, "executor", answer_text="Сделано")
    await move(handle, "report", CO, "executor", answer_text="Сделано")
    st = await move(handle, "submit_consolidated", LEAD, "executor", answer_text="Свод: исполнено.")
    assert st.state == "answered"
    visit = (await env.get_current_time()).date() + timedelta(days=3)
    await move(
        handle,
        "schedule_verification",
        "ctl-1",
        "controller",
        details={"date": visit.isoformat(), "place": "Медеуский район, ул. Абая 1"},  # table v4: typed details
    )
    st = await poor_findings(handle, "Вода в подвале осталась.", [CO])
    assert st.state == "returned_for_finalization" and st.deadline
    assert {t.executor: t.poor_findings for t in st.instruction.executors} == {LEAD: 0, CO: 1}
    assert st.instruction.proposals and st.instruction.proposals[0].executors == [CO]
    st = await move(handle, "submit_consolidated", LEAD, "executor", answer_text="Вода откачана.")
    st = await move(
        handle, "record_findings", "ctl-1", "controller", answer_text="Исправлено.", details={"verdict": "satisfactory"}
    )
    assert st.state == "answered"
    with Session(engine) as s:
        card = s.get(CaseRecord, handle.id)
    assert card is not None and card.kind == "instruction" and card.executor == LEAD


async def test_an_executor_user_reports_for_their_unit(
    env: WorkflowEnvironment, client: Client, worker: Worker
) -> None:
    """Issue 21: `housing-exec` (an executor of housing-dept) reported from the Web UI; the case
    gained a new executor "housing-exec" while housing-dept stayed at 0 reports and would be late."""
    from tooling.client import transition
    from tooling.seal import Identity

    handle = await start(env, client, worker)
    await until_state(handle, "routed")
    user = Identity("housing-exec", "Исполнитель", ["executor"], LEAD)
    st = await transition(handle, "report", user, "executor", now=await env.get_current_time(), answer_text="Отчёт")
    tracks = {t.executor: t for t in st.instruction.executors}
    assert "housing-exec" not in tracks and tracks[LEAD].reports == 1


async def test_a_missed_one_term_instruction_leads_to_a_proposal(
    env: WorkflowEnvironment, client: Client, worker: Worker
) -> None:
    """Issue 21.4: a one-term instruction can be late once only, so the threshold of 2 late terms
    was never reached and a missed once-off Presidential instruction led to no proposal."""
    handle = await start(env, client, worker, control="once", periods=1)
    st = await until(handle, lambda s: s.state == "routed")
    await move(handle, "report", LEAD, "executor", answer_text="Отчёт")
    await move(handle, "report", CO, "executor", answer_text="Отчёт")
    await sleep_past(env, date.fromisoformat(st.deadline))
    st = await until(handle, lambda s: bool(s.instruction.proposals))
    tracks = {t.executor: t for t in st.instruction.executors}
    assert tracks[SLOW].late_terms == 1
    [proposal] = st.instruction.proposals
    assert proposal.executors == [SLOW] and proposal.status == "awaiting_approval"
