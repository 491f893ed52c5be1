"""Personal receptions on the time-skipping server: instructions tracked to completion, no-show,
concurrent booking of one slot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.receptions import create_slots, district_figures, list_slots
from models.case_status import CaseStatus
from models.errors import InputError
from models.registry import CaseRecord, DisciplinaryProposalRecord, NotificationRecord, ReceptionSlot
from policies import calendar
from policies.receptions import officials, slot_problem
from tests.factories import valid_iin
from tests.scenario import answer, approve_and_deliver, move, refused, registration, status
from workflows.reception import ReceptionWorkflow

BOTH_REGISTRIES = True  # each test using `engine` runs on SQLite and on PostgreSQL (tests/conftest.py)


def reception_dict(number: str, received: datetime, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reg_number": number,
        "citizen": {"kind": "person", "name": "Болат Сериков", "iin": valid_iin()},
        "contacts": {"email": "bolat@example.kz", "phone": "+77015550000"},
        "language": "ru",
        "issue": "Подтопление подвала и яма у дома.",
        "category": "housing",
        "district": "medeu",
        "requested_official": "housing-head",
        "format": "office",
        "received_at": received.isoformat(),
    }
    data.update(overrides)
    return data


def reception_day(now: datetime, after_days: int = 2, official: str = "housing-head") -> date:
    """The first working day at least `after_days` after `now`'s local date on which `official`
    receives (policies/receptions.yaml). Not merely the next working day: the apparatus head
    receives on Mondays and Wednesdays only, and a test that took a working day failed on the
    nights whose date +4 fell on another weekday."""
    days = officials()[official]["days"]
    day = calendar.next_working_day(now.astimezone(calendar.local_zone()).date() + timedelta(days=after_days))
    while day.weekday() not in days:
        day = calendar.next_working_day(day + timedelta(days=1))
    return day


@pytest.mark.parametrize("official", sorted(officials()))
def test_the_reception_day_is_one_the_official_receives_on_whatever_the_date(official: str) -> None:
    """Every start date over three weeks, at a night hour in Almaty (the one CI failed at: 00:25
    on a Friday, 19:25 UTC on Thursday 2026-12-03, for the apparatus head)."""
    for offset in range(21):
        now = datetime(2026, 12, 3, 19, 25, tzinfo=UTC) + timedelta(days=offset)
        for after in (2, 3, 4):
            day = reception_day(now, after_days=after, official=official)
            hours = officials()[official]["hours"]
            start = datetime.combine(day, time.fromisoformat(hours[0]), tzinfo=calendar.local_zone())
            assert slot_problem(official, start, start + timedelta(minutes=30)) is None, (now, after, day)
            assert day >= now.astimezone(calendar.local_zone()).date() + timedelta(days=after)


_numbers = iter(range(1, 10**6))


def next_number() -> str:
    import uuid

    return f"RCP-2026-{uuid.uuid4().int % 10**8:08d}"


async def start(client: Client, worker: Worker, env: WorkflowEnvironment, **overrides: Any) -> WorkflowHandle[Any, Any]:
    number = next_number()
    now = await env.get_current_time()
    sealed_data = await registration(client, reception_dict(number, now, **overrides))
    return await client.start_workflow(ReceptionWorkflow.run, sealed_data, id=number, task_queue=worker.task_queue)


async def booked(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Any
) -> tuple[WorkflowHandle[Any, Any], CaseStatus]:
    """A reception registered and booked into the housing head's first slot of a working day."""
    day = reception_day(await env.get_current_time())
    slot = create_slots(engine, "housing-head", day, "10:00", "11:00", 30)[0]
    handle = await start(client, worker, env)
    return handle, await move(handle, "schedule", "reg-1", "registrar", details={"slot_id": slot.slot_id})


async def until(handle: WorkflowHandle[Any, Any], check: Callable[[CaseStatus], bool], tries: int = 200) -> CaseStatus:
    st = await status(handle)
    for _ in range(tries):
        if check(st):
            return st
        await asyncio.sleep(0.05)
        st = await status(handle)
    raise AssertionError(
        f"condition never held; last status: state={st.state} instructions={st.reception.instructions}"
    )


async def test_two_instructions_one_late_one_returned(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle, st = await booked(env, client, worker, engine)
    number = handle.id
    assert st.state == "routed" and st.executor == "housing-head" and st.reception.slot is not None
    assert "only on cases assigned" in await refused(handle, "hold", "akim", "official", answer_text="x")
    instructions = [
        {"executor": "housing-dept", "text": "Откачать воду из подвала.", "term_working_days": 5},
        {"executor": "roads-dept", "text": "Засыпать яму у дома.", "term_working_days": 5},
    ]
    st = await move(
        handle,
        "hold",
        "housing-head",
        "official",
        answer_text="Даны поручения.",
        details={"instructions": instructions},
    )
    assert st.state == "under_consideration" and len(st.reception.instructions) == 2
    first = client.get_workflow_handle(f"{number}-1")
    second = client.get_workflow_handle(f"{number}-2")
    await until(first, lambda s: s.state == "routed")
    # Instruction 1: answered poorly, returned: the reception is returned for finalization.
    await move(first, "accept", "housing-dept", "executor")
    await answer(first, "housing-dept", "Изучаем.")
    await move(first, "return_for_finalization", "ctl-1", "controller", reason="вода не откачана")
    await until(handle, lambda s: s.state == "returned_for_finalization")
    await answer(first, "housing-dept", "Вода откачана.", "satisfied")
    await approve_and_deliver(first, "ctl-1", "controller")
    st = await until(handle, lambda s: s.state == "under_consideration")
    assert [h.trigger for h in st.history][-2:] == ["instruction_returned", "instructions_resumed"]
    # Instruction 2: late: reminders, escalation and a disciplinary proposal; the reception waits.
    await move(second, "accept", "roads-dept", "executor")
    await env.sleep(timedelta(days=40))
    late = await status(second)
    assert late.overdue and {"reminder", "escalation", "disciplinary_proposal"} <= {t.kind for t in late.timeline}
    with Session(engine) as s:
        proposals = s.exec(select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.reg_number == second.id))
        assert [p.executor for p in proposals] == ["roads-dept"]
    st = await until(handle, lambda s: any(i.overdue for i in s.reception.instructions))
    assert st.state == "under_consideration" and st.overdue
    await answer(second, "roads-dept", "Яма засыпана.", "satisfied")
    with pytest.raises(WorkflowUpdateFailedError):
        await move(handle, "close", "ctl-1", "controller")  # not before every instruction is done
    await approve_and_deliver(second)
    st = await until(handle, lambda s: s.state == "answered")
    st = await move(handle, "close", "ctl-1", "controller")
    assert st.state == "closed" and st.closure_reason == "resolved"
    with Session(engine) as s:
        card = s.get(CaseRecord, number)
        children = s.exec(select(CaseRecord).where(CaseRecord.parent == number)).all()
        templates = [n.template for n in s.exec(select(NotificationRecord))]
    assert card is not None and card.state == "closed" and card.kind == "reception"
    assert sorted(c.kind for c in children) == ["reception_instruction", "reception_instruction"]
    # Instructions given at one reception are the official's, never repeats of each other (issue 9).
    assert [(c.possible_repeat_of, c.related_to) for c in children] == [("", ""), ("", "")]
    assert templates.count("instruction_sheet") == 2
    assert {"booking_confirmation", "reception_answer"} <= set(templates)
    figures = {f.district: f for f in district_figures(engine)}["medeu"]
    assert (figures.receptions, figures.held, figures.instructions, figures.executed_on_time, figures.overdue) == (
        1,
        1,
        2,
        1,
        1,
    )


async def test_no_show_closes_after_the_grace_period(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    day = reception_day(await env.get_current_time())
    slots = create_slots(engine, "housing-head", day, "15:00", "15:30", 30)
    handle = await start(client, worker, env, language="kk")
    await move(
        handle,
        "schedule",
        "reg-1",
        "registrar",
        target=str(slots[0].slot_id),
        details={"participants": ["Заместитель акима района"]},
    )
    assert "slot_has_begun" in await refused(handle, "no_show", "reg-1", "registrar")
    # Sleep past the slot's end and the grace, however far holidays put the slot (Nauryz: 5 days off).
    past_grace = datetime.fromisoformat(slots[0].end) + timedelta(hours=1) - await env.get_current_time()
    await env.sleep(past_grace)
    st = await until(handle, lambda s: s.state == "closed")
    assert st.closure_reason == "citizen_did_not_come"
    assert [t.kind for t in st.timeline] == ["reminder", "reminder", "no_show"]
    with Session(engine) as s:
        notes = list(s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == handle.id)))
    kinds = [n.template for n in notes]
    assert kinds.count("reception_reminder") == 4  # citizen and official, 24 h and 2 h before
    cancelled = next(n for n in notes if n.template == "reception_cancelled")
    assert cancelled.language == "kk" and "келмедіңіз" in cancelled.body


async def test_one_slot_booked_concurrently_exactly_one_wins(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    day = reception_day(await env.get_current_time(), after_days=3)
    slot = create_slots(engine, "housing-head", day, "11:00", "11:30", 30)[0]
    handles = [await start(client, worker, env) for _ in range(4)]
    results = await asyncio.gather(
        *(move(h, "schedule", "reg-1", "registrar", target=str(slot.slot_id)) for h in handles),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, CaseStatus)]
    losers = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(winners) == 1 and len(losers) == 3
    assert all("already booked" in str(e.cause) for e in losers)
    # Each loser's refusal carries its code and the slot, which the workbench words (issue 23).
    from web.workbench.words import Words

    details = [tuple(getattr(e.cause, "details", ())) for e in losers]
    assert {d[0]["code"] for d in details} == {"slot_taken"}
    assert Words("ru").refusal("x", details[0], "reception") == (
        f"Время приёма № {slot.slot_id} уже занято другой записью; выберите другое."
    )
    for h, r in zip(handles, results, strict=True):
        st = await status(h)
        assert st.state == ("routed" if isinstance(r, CaseStatus) else "registered")
    with Session(engine) as s:
        row = s.get(ReceptionSlot, slot.slot_id)
    assert row is not None and row.reception == winners[0].reg_number
    # The loser cancels; the winner reschedules to another slot and frees the first.
    other = create_slots(engine, "housing-head", day, "12:00", "12:30", 30)[0]
    winner = client.get_workflow_handle(winners[0].reg_number)
    await move(winner, "reschedule", "reg-1", "registrar", target=str(other.slot_id))
    free = [s.slot_id for s, holder in list_slots(engine, "housing-head", day, free_only=True)]
    assert slot.slot_id in free and other.slot_id not in free


def test_slots_follow_the_officials_schedule(engine: Engine) -> None:
    saturday = date(2026, 11, 28)
    with pytest.raises(InputError, match="not a working day"):
        create_slots(engine, "akim", saturday, "10:00", "11:00", 30)
    with pytest.raises(InputError, match="receives on weekdays"):
        create_slots(engine, "akim", date(2026, 11, 30), "10:00", "11:00", 30)  # the akim receives on Fridays
    with pytest.raises(InputError, match="receives from"):
        create_slots(engine, "akim", date(2026, 12, 4), "14:00", "15:00", 30)
    visit = {"kind": "visiting", "district": "nauryzbay", "place": "Дом культуры"}
    visiting = create_slots(engine, "akim", date(2026, 11, 30), "10:00", "12:00", 20, **visit)
    assert len(visiting) == 6 and all(s.district == "nauryzbay" for s in visiting)
    again = create_slots(engine, "akim", date(2026, 11, 30), "10:00", "12:00", 20, **visit)
    assert [s.slot_id for s in again] == [s.slot_id for s in visiting]  # idempotent batch


async def test_a_schedule_without_a_slot_books_the_officials_earliest_free_one_as_the_card_shows_it(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Table v3 (issue 23): the card's example names no slot number and books as given: the earliest
    free slot of the official; the next reception gets the next one; a reschedule without a number
    moves to the next free one and frees the old; with none left the refusal says so, in words."""
    from tests.test_case_card import card_of, payloads
    from web.workbench.words import Words

    day = reception_day(await env.get_current_time())
    first, second, third = create_slots(engine, "housing-head", day, "14:00", "15:30", 30)
    one, two = await start(client, worker, env), await start(client, worker, env)
    offered: dict[str, Any] = {}
    while "schedule" not in offered:  # the card is written once the reception is registered
        offered = payloads(await card_of(one))
    example = offered["schedule"]
    assert "slot_id" not in example["details"]  # nothing to look up: it works as given
    fields = {k: v for k, v in example.items() if k not in ("case", "trigger")}
    st = await move(one, "schedule", "reg-1", "registrar", **fields)
    assert st.reception.slot is not None and st.reception.slot.slot_id == first.slot_id
    st = await move(two, "schedule", "reg-1", "registrar", **fields)
    assert st.reception.slot is not None and st.reception.slot.slot_id == second.slot_id
    st = await move(one, "reschedule", "reg-1", "registrar", reason="просьба заявителя", details={"participants": []})
    assert st.reception.slot is not None and st.reception.slot.slot_id == third.slot_id
    owners = {s.slot_id: r for s, r in list_slots(engine, "housing-head", day)}
    assert owners[first.slot_id] == "" and owners[third.slot_id] == one.id  # the old slot is free again
    three = await start(client, worker, env)
    st = await move(three, "schedule", "reg-1", "registrar", **fields)
    assert st.reception.slot is not None and st.reception.slot.slot_id == first.slot_id  # freed, so taken
    four = await start(client, worker, env)
    with pytest.raises(WorkflowUpdateFailedError) as none_left:
        await move(four, "schedule", "reg-1", "registrar", **fields)
    details = tuple(getattr(none_left.value.cause, "details", ()))
    assert details[0]["code"] == "no_free_slot"
    assert Words("ru").refusal("x", details, "reception").startswith("У должностного лица нет свободного времени")
    assert (await status(four)).state == "registered"  # refused: nothing changed
