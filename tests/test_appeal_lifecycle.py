"""Appeal lifecycle on the time-skipping server: every path named in the issue."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.registry import CaseRecord, DisciplinaryProposalRecord, EventRecord, NotificationRecord
from tests.factories import appeal_dict
from tests.scenario import (
    REGISTRAR,
    accepted,
    answer,
    approve_and_deliver,
    hand_over,
    move,
    refused,
    registry_snapshot,
    sealed,
    server_now,
    start_appeal,
    status,
)

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)


def events_of(engine: Engine, reg: str) -> list[str]:
    with Session(engine) as s:
        return [
            e.trigger
            for e in s.exec(select(EventRecord).where(EventRecord.reg_number == reg).order_by(col(EventRecord.id)))
        ]


def notifications_of(engine: Engine, reg: str) -> list[NotificationRecord]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(NotificationRecord)
                .where(NotificationRecord.reg_number == reg)
                .order_by(col(NotificationRecord.id))
            )
        )


async def test_happy_path(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict()
    handle = await start_appeal(client, worker, appeal)
    st = await move(handle, "accept", "housing-dept", "executor")
    assert st.state == "under_consideration"
    assert st.executor == "housing-dept"  # routing policy: housing -> housing-dept
    st = await answer(handle, "housing-dept", "Ремонт в мае.", "satisfied")
    assert st.state == "answered"
    st = await move(handle, "approve", "head-1", "head")
    assert st.state == "answered" and st.appeal.approved_at  # signed; given when it reaches the applicant
    st = await hand_over(handle, st)  # the registry office hands the letter over
    assert st.state == "closed" and st.closure_reason == "answered"
    final = await handle.result()
    assert [h.trigger for h in final.history] == [
        "route", "accept", "submit_answer", "approve", "mark_posted", "record_delivery",
    ]  # fmt: skip
    assert [(h.from_state, h.to_state) for h in final.history] == [
        ("registered", "routed"),
        ("routed", "under_consideration"),
        ("under_consideration", "answered"),
        ("answered", "answered"),
        ("answered", "answered"),
        ("answered", "closed"),
    ]
    assert final.history[1].actor_id == "housing-dept" and final.history[3].actor_role == "head"
    with Session(engine) as s:
        card = s.get(CaseRecord, appeal["reg_number"])
        assert card is not None and card.state == "closed" and card.closure_reason == "answered"
        assert card.deadline == final.deadline
    assert events_of(engine, appeal["reg_number"]) == [
        "register", "route", "accept", "submit_answer", "approve", "mark_posted", "record_delivery",
    ]  # fmt: skip
    notes = notifications_of(engine, appeal["reg_number"])
    assert [n.template for n in notes] == ["acknowledgement", "assignment", "answer_letter"]
    letter = notes[-1]
    assert letter.language == "ru" and "Ремонт в мае." in letter.body and letter.recipient == "aigerim@example.kz"


async def test_forwarding_closes_and_notifies_in_kazakh(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict(language="kk", category="social")
    handle = await start_appeal(client, worker, appeal)
    with pytest.raises(WorkflowUpdateFailedError) as free_text:  # targets come from the catalogue
        await move(handle, "forward", "reg-1", "registrar", target="Еңбек министрлігі", reason="құзыреті емес")
    assert "target_is_known_body" in str(free_text.value.cause) and "prosecutor_centre" in str(free_text.value.cause)
    st = await move(handle, "forward", "reg-1", "registrar", target="ministry", reason="құзыреті емес")
    assert st.state == "closed" and st.closure_reason == "forwarded"
    assert st.appeal.forward_by and st.history[-1].detail["forward_late"] == "no"
    await handle.result()
    notes = notifications_of(engine, appeal["reg_number"])
    forwarding = [n for n in notes if n.template == "forwarding_notice"]
    assert len(forwarding) == 1 and forwarding[0].language == "kk"
    # The receiving body in the dative case ("... органға жіберілді": sent to whom).
    assert "Құзыреті бойынша орталық мемлекеттік органға жіберілді" in forwarding[0].body


async def test_return_for_finalization_and_reanswer(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict(category="utilities")
    handle = await start_appeal(client, worker, appeal)
    await move(handle, "accept", "utilities-dept", "executor")
    await answer(handle, "utilities-dept", "Изучаем.")
    before = await status(handle)
    st = await move(handle, "return_for_finalization", "ctl-1", "controller", reason="ответ не по существу")
    assert st.state == "returned_for_finalization"
    assert st.appeal.answer_character == ""
    # The legal term never moves on a return: only an internal finalization term, inside it, is set.
    assert (st.deadline, st.due_at) == (before.deadline, before.due_at)
    assert st.appeal.internal_deadline and date.fromisoformat(st.appeal.internal_deadline) <= date.fromisoformat(
        st.deadline
    )
    assert st.history[-1].detail["finalization_term"] == st.appeal.internal_deadline
    assignment = [n for n in notifications_of(engine, appeal["reg_number"]) if n.template == "assignment"][-1]
    assert "Срок доработки" in assignment.body and "не изменяется" in assignment.body
    st = await answer(handle, "utilities-dept", "Трубы заменят в июне.", "satisfied")
    assert st.state == "answered"
    st = await approve_and_deliver(handle, "ctl-1", "controller")
    assert st.state == "closed"
    assert events_of(engine, appeal["reg_number"]) == [
        "register",
        "route",
        "accept",
        "submit_answer",
        "return_for_finalization",
        "submit_answer",
        "approve",
        "mark_posted",
        "record_delivery",
    ]


async def test_extension_moves_deadline_and_timers(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    appeal = appeal_dict()
    handle = await start_appeal(client, worker, appeal)
    await move(handle, "accept", "housing-dept", "executor")
    original = date.fromisoformat((await status(handle)).deadline)
    new = original + timedelta(days=21)
    too_far = (original + timedelta(days=70)).isoformat()
    why = await refused(handle, "extend_deadline", "head-1", "head", new_deadline=too_far, reason="нужна экспертиза")
    assert "extension_within_limit" in why
    st = await move(
        handle, "extend_deadline", "head-1", "head", new_deadline=new.isoformat(), reason="нужна экспертиза"
    )
    assert st.state == "under_consideration"
    assert date.fromisoformat(st.deadline) <= new and date.fromisoformat(st.deadline) > original
    # Past the original term: no escalation, since the term was extended.
    await env.sleep(timedelta(days=(original - (await env.get_current_time()).date()).days + 3))
    st = await status(handle)
    assert not st.overdue and [t.kind for t in st.timeline if t.kind == "escalation"] == []
    # Past the new term: escalated.
    await env.sleep(timedelta(days=30))
    st = await status(handle)
    assert st.overdue and any(t.kind == "escalation" for t in st.timeline)
    assert "extension_notice" in [n.template for n in notifications_of(engine, appeal["reg_number"])]


async def test_missed_deadline_reminds_escalates_and_proposes(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await accepted(client, worker, "akimat-medeu", category="roads", district="medeu")
    reg = handle.id
    await env.sleep(timedelta(days=45))  # 15 working days and the grace period pass in milliseconds
    st = await status(handle)
    kinds = [t.kind for t in st.timeline]
    assert kinds.count("reminder") == 2
    assert kinds.index("reminder") < kinds.index("escalation") < kinds.index("disciplinary_proposal")
    assert st.overdue and st.state == "under_consideration"
    templates = [n.template for n in notifications_of(engine, reg)]
    assert templates.count("reminder") == 2 and templates.count("overdue_notice") == 1
    with Session(engine) as s:
        proposals = list(s.exec(select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.reg_number == reg)))
        card = s.get(CaseRecord, reg)
    assert len(proposals) == 1
    proposal = proposals[0]
    assert proposal.executor == "akimat-medeu" and "Р. Тлеуов" in proposal.official
    assert reg in proposal.body and str(proposal.overdue_working_days) in proposal.body
    assert card is not None and card.overdue
    assert "escalate" in events_of(engine, reg)
    # The executor still answers late; the case closes normally and the overdue flag stays for the record.
    await answer(handle, "akimat-medeu", "Сделано.", "satisfied")
    st = await approve_and_deliver(handle)
    assert st.state == "closed" and st.overdue


async def test_withdraw(client: Client, worker: Worker, engine: Engine) -> None:
    appeal = appeal_dict()
    handle = await start_appeal(client, worker, appeal)
    await move(handle, "accept", "housing-dept", "executor")
    st = await move(handle, "withdraw", "reg-1", "registrar", reason="заявление об отзыве")
    assert st.state == "closed" and st.closure_reason == "withdrawn"
    await handle.result()
    assert "closure_notice" in [n.template for n in notifications_of(engine, appeal["reg_number"])]


async def test_refused_moves_change_nothing(client: Client, worker: Worker, engine: Engine) -> None:
    handle = await accepted(client, worker, "housing-dept")
    reg = handle.id
    before_status = await status(handle)
    before_registry = registry_snapshot(engine, reg)
    cases = [
        ("approve", "head-1", "head", {}, "not allowed in state 'under_consideration'"),
        ("submit_answer", "x", "auditor", {"answer_text": "a", "answer_character": "explained"}, "may not trigger"),
        (
            "submit_answer",
            "roads-dept",
            "executor",
            {"answer_text": "a", "answer_character": "explained"},
            "only on cases assigned",
        ),
        ("accept", "housing-dept", "executor", {}, "not allowed in state"),
        ("fly", "head-1", "head", {}, "unknown trigger"),
        ("route", "r", "janitor", {}, "not a role"),
        ("reassign", "ctl", "controller", {}, "details.executor: is required"),  # table v6: a typed field
        ("reassign", "ctl", "controller", {"target": "housing-dept"}, "already assigned"),
    ]
    for trigger, actor, role, fields, expected in cases:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await move(handle, trigger, actor, role, **fields)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and expected in cause.message, (trigger, cause)
        assert cause.type in ("RefusedMove", "InvalidInput")
        assert cause.failure is not None and cause.failure.stack_trace == ""  # a plain reason, no traceback
    # Malformed payload: refused as input, naming the field.
    with pytest.raises(WorkflowUpdateFailedError) as bad:
        await handle.execute_update("transition", {"trigger": "approve"})
    assert "actor" in str(bad.value.cause)
    # Signals: refused and recorded, never failing the workflow task.
    await handle.signal("approve", await sealed(handle, "approve", {"actor": {"id": "head-1", "role": "head"}}))
    await handle.signal("approve")  # the Web UI sends no argument when the box is empty
    await handle.signal("approve", "not an object")
    for _ in range(200):  # a query may be answered before the last signals' workflow task has run
        after = await status(handle)
        if len(after.refusals) >= len(before_status.refusals) + 3:
            break
        await asyncio.sleep(0.02)
    assert after.state == before_status.state and after.history == before_status.history
    assert len(after.refusals) == len(before_status.refusals) + 3
    assert "payload" in after.refusals[-1].message
    assert registry_snapshot(engine, reg) == before_registry
    # And the workflow still works.
    st = await answer(handle, "housing-dept", "ok")
    assert st.state == "answered"


async def test_signals_from_the_ui_move_the_case(client: Client, worker: Worker) -> None:
    handle = await start_appeal(client, worker, appeal_dict())
    await handle.signal("accept", await sealed(handle, "accept", {"actor": {"id": "housing-dept", "role": "executor"}}))
    answer = {"actor": {"id": "housing-dept", "role": "executor"}, "answer_text": "ok", "answer_character": "explained"}
    await handle.signal("submit_answer", await sealed(handle, "submit_answer", answer))
    await handle.signal("approve", await sealed(handle, "approve", {"actor": {"id": "h", "role": "head"}}))
    letter = {"notice": f"{handle.id}:answer_letter:move-4", "tracking": "RA1"}
    posted = {"actor": {"id": "reg-1", "role": "registrar"}, "details": letter}
    await handle.signal("mark_posted", await sealed(handle, "mark_posted", posted))
    final = await handle.result()
    assert final.state == "closed" and [h.trigger for h in final.history][-3:] == [
        "approve", "mark_posted", "record_delivery",
    ]  # fmt: skip


async def test_refusal_needs_hearing_before_approval(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    appeal = appeal_dict(type="complaint", category="social")
    reg = appeal["reg_number"]
    handle = await start_appeal(client, worker, appeal)
    await move(handle, "accept", "social-dept", "executor")
    st = await answer(handle, "social-dept", "Нет оснований.", "refused")
    assert st.appeal.hearing_until
    assert "hearing" in await refused(handle, "approve", "head-1", "head")
    assert "preliminary_decision" in [n.template for n in notifications_of(engine, reg)]
    for _ in range(10):  # let the hearing period pass (time skipping) until its timer has fired
        await env.sleep(timedelta(days=3))
        if any(t.kind == "hearing_end" for t in (await status(handle)).timeline):
            break
    st = await approve_and_deliver(handle)
    assert st.state == "closed" and any(t.kind == "hearing_end" for t in st.timeline)


async def test_applicant_reply_ends_hearing(client: Client, worker: Worker) -> None:
    handle = await accepted(client, worker, "social-dept", type="complaint", category="social")
    await answer(handle, "social-dept", "Нет.", "refused")
    await move(handle, "record_applicant_reply", "reg-1", "registrar", reason="возражение получено")
    st = await approve_and_deliver(handle)
    assert st.state == "closed"


async def test_same_number_twice_is_refused(client: Client, worker: Worker) -> None:
    """Through our own start path (the CLI's `start_case`), while the first is open. Past it (any
    client, any id-reuse policy, after the case closed): tests/test_no_wedge.py
    `test_a_registration_number_runs_once_whoever_starts_it`."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from tooling.client import start_case

    appeal = appeal_dict()
    number, queue = appeal["reg_number"], worker.task_queue
    await start_case(client, "AppealWorkflow", appeal, number, queue, who=REGISTRAR, now=await server_now(client))
    with pytest.raises(WorkflowAlreadyStartedError):
        await start_case(client, "AppealWorkflow", appeal, number, queue, who=REGISTRAR, now=await server_now(client))


async def test_invalid_appeal_fails_with_the_field_named(client: Client, worker: Worker, engine: Engine) -> None:
    bad = appeal_dict(category="astrology")
    handle = await start_appeal(client, worker, bad)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "category: unknown value 'astrology'" in str(failed.value.cause)
    bad_iin = appeal_dict(applicant={"kind": "person", "name": "X", "iin": "123456789012"})
    handle = await start_appeal(client, worker, bad_iin)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "applicant.iin" in str(failed.value.cause)
    with Session(engine) as s:
        assert s.get(CaseRecord, bad["reg_number"]) is None  # nothing half-written
