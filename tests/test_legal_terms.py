"""Issue 9: the legal term kept exactly. Each test drives one rule through a workflow on the
time-skipping server (the calendar's own tests add the package's data without a server)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.letters import TEMPLATE_DIR, TEMPLATE_DIR_ENV
from cli.audit import compliance_findings
from models.case_status import CaseStatus
from models.registry import CaseRecord, EventRecord, NotificationRecord
from policies import calendar
from tests.factories import appeal_dict, valid_iin
from tests.scenario import approve_and_deliver, hand_over, move, refused, start_appeal, status, until_state

ANSWER = {"answer_text": "Крыша будет отремонтирована в мае.", "answer_character": "satisfied"}


def notes_of(engine: Engine, reg: str, template: str = "") -> list[NotificationRecord]:
    with Session(engine) as s:
        query = select(NotificationRecord).where(NotificationRecord.reg_number == reg)
        if template:
            query = query.where(NotificationRecord.template == template)
        return list(s.exec(query.order_by(col(NotificationRecord.id))))


def card_of(engine: Engine, reg: str) -> CaseRecord:
    with Session(engine) as s:
        card = s.get(CaseRecord, reg)
    assert card is not None
    return card


def kinds(st: CaseStatus) -> list[str]:
    return [t.kind for t in st.timeline]


async def sleep_until(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], kind: str, step: timedelta = timedelta(hours=6)
) -> CaseStatus:
    """Let time pass (skipping) until the case's timeline shows `kind` (bounded)."""
    for _ in range(400):
        st = await status(handle)
        if kind in kinds(st):
            return st
        await env.sleep(step)
    raise AssertionError(f"{handle.id}: {kind!r} never happened")


async def until_noted(handle: WorkflowHandle[Any, Any], kind: str) -> CaseStatus:
    """The case's status once its timeline shows `kind` (without letting time pass; bounded)."""
    for _ in range(200):
        st = await status(handle)
        if kind in kinds(st):
            return st
        await asyncio.sleep(0.02)
    raise AssertionError(f"{handle.id}: {kind!r} never noted")


async def until_sent(engine: Engine, reg: str, template: str) -> list[NotificationRecord]:
    """The case's notices of `template` once at least one is in the outbox (bounded)."""
    for _ in range(200):
        sent = notes_of(engine, reg, template)
        if sent:
            return sent
        await asyncio.sleep(0.02)
    raise AssertionError(f"{reg}: no {template} sent")


async def under_consideration(client: Client, worker: Worker, **overrides: Any) -> WorkflowHandle[Any, Any]:
    handle = await start_appeal(client, worker, appeal_dict(**overrides))
    await until_state(handle, "routed")
    executor = (await status(handle)).executor
    await move(handle, "accept", executor, "executor")
    return handle


async def approved_late(handle: WorkflowHandle[Any, Any], engine: Engine) -> None:
    """The head approves; the answer is late on the status, the move, the card and in compliance."""
    st = await approve_and_deliver(handle)
    assert st.appeal.answered_late and st.history[-1].detail["late"] == "yes"
    assert card_of(engine, handle.id).answered_late
    findings = [f for f in compliance_findings(engine, None) if f[0] == handle.id]
    assert [f[1] for f in findings] == ["answered after the term"]


# ---------------------------------------------------------------- calendar

KZ_TRANSFERS = sorted(
    d for d in holidays.country_holidays("KZ", years=range(2020, 2028)).weekend_workdays if d.year >= 2020
)


def test_the_package_knows_transferred_working_weekend_days_of_several_years() -> None:
    assert len({d.year for d in KZ_TRANSFERS}) >= 4


@pytest.mark.parametrize("day", KZ_TRANSFERS, ids=str)
def test_a_transferred_working_weekend_day_is_a_working_day(day: date) -> None:
    assert day.weekday() >= 5  # a Saturday or Sunday...
    assert calendar.is_working_day(day)  # ...that the Government made a working day


def test_the_override_file_wins_over_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monday, saturday = date(2026, 12, 7), date(2026, 12, 5)
    assert calendar.is_working_day(monday) and not calendar.is_working_day(saturday)
    overrides = calendar.overrides_from(
        {"days_off": [{"date": monday.isoformat()}], "working_days": [{"date": saturday.isoformat()}]}
    )
    monkeypatch.setattr(calendar, "_overrides", lambda: overrides)
    assert not calendar.is_working_day(monday) and calendar.is_working_day(saturday)


async def test_a_transferred_working_saturday_counts_in_an_appeal_term(client: Client, worker: Worker) -> None:
    # Received Tue 22 June 2021 (UTC+6 then). Sat 3 July 2021 was worked (moved to Mon 5 July);
    # 6 July is Capital Day. Day 1 = 22 June ... day 10 = Sat 3 July ... day 15 = Tue 13 July.
    handle = await start_appeal(client, worker, appeal_dict(received_at="2021-06-22T10:00:00"))
    st = await until_state(handle, "routed")
    assert st.deadline == "2021-07-13"  # treating 3 July as a day off gave 14 July


async def test_the_override_file_moves_an_appeal_term(
    client: Client, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Received Mon 2 Feb 2026: 15 working days end Fri 20 Feb; a day off by a late resolution
    # (override file) on Wed 11 Feb moves the term to Mon 23 Feb. (A receipt in the past: one in the
    # future is refused at registration.)
    overrides = calendar.overrides_from({"days_off": [{"date": "2026-02-11"}]})
    handle = await start_appeal(client, worker, appeal_dict(received_at="2026-02-02T10:00:00+05:00"))
    assert (await until_state(handle, "routed")).deadline == "2026-02-20"
    monkeypatch.setattr(calendar, "_overrides", lambda: overrides)
    handle = await start_appeal(client, worker, appeal_dict(received_at="2026-02-02T10:00:00+05:00"))
    assert (await until_state(handle, "routed")).deadline == "2026-02-23"


async def test_a_receipt_time_without_zone_is_local_time_of_its_date(
    client: Client, worker: Worker, engine: Engine
) -> None:
    # 18:10 on 1 June 2023 in Almaty (UTC+6 then) is before the 18:30 cutoff: day 1 is 1 June and
    # 15 working days end 21 June. Read with today's +5, it was 19:10 local: counted from 2 June.
    handle = await start_appeal(client, worker, appeal_dict(received_at="2023-06-01T18:10:00"))
    assert (await until_state(handle, "routed")).deadline == "2023-06-21"
    # The acknowledgement shows the local time the applicant handed it in.
    handle = await start_appeal(client, worker, appeal_dict(received_at="2023-06-01T12:10:00Z"))
    assert (await until_state(handle, "routed")).deadline == "2023-06-21"
    ack = notes_of(engine, handle.id, "acknowledgement")[0]
    assert "01.06.2023 18:10" in ack.body and "21.06.2023" in ack.body


# ---------------------------------------------------------------- legal term and internal terms


async def test_a_return_sets_a_finalization_term_capped_at_the_legal_term(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    st = await sleep_until(env, handle, "reminder")  # 3 working days before the legal term
    await move(handle, "submit_answer", st.executor, "executor", **ANSWER)
    st = await move(handle, "return_for_finalization", "ctl-1", "controller", reason="ответ не по существу")
    # 5 working days from tomorrow would pass the legal term: the finalization term is the legal term.
    assert st.appeal.internal_deadline == st.deadline == st.appeal.original_deadline
    assert st.history[-1].detail == {"finalization_term": st.deadline, "legal_term": st.deadline}


async def test_a_missed_finalization_term_is_flagged_and_the_legal_term_still_runs(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    await move(handle, "submit_answer", executor, "executor", **ANSWER)
    st = await move(handle, "return_for_finalization", "ctl-1", "controller", reason="нет сроков работ")
    assert st.appeal.internal_deadline < st.deadline
    st = await sleep_until(env, handle, "finalization_term_missed")
    assert not st.overdue and st.state == "returned_for_finalization"
    alerts = notes_of(engine, handle.id, "control_alert")
    assert {n.recipient for n in alerts} >= {executor, "department-controller"}
    st = await sleep_until(env, handle, "escalation")  # the legal term is watched as before
    assert st.overdue


async def test_timers_watch_the_legal_term_while_the_answer_waits_for_approval(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    await move(handle, "submit_answer", executor, "executor", **ANSWER)  # in time
    st = await sleep_until(env, handle, "escalation", timedelta(days=1))
    assert st.state == "answered" and st.overdue
    assert "while the answer waited for approval" in next(t.detail for t in st.timeline if t.kind == "escalation")
    st = await sleep_until(env, handle, "disciplinary_skipped", timedelta(days=1))
    assert "disciplinary_proposal" not in kinds(st)  # the executor answered in time
    assert card_of(engine, handle.id).overdue
    await approved_late(handle, engine)


async def test_answered_after_the_term_is_measured_against_the_extended_legal_term(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    st = await status(handle)
    original = date.fromisoformat(st.deadline)
    extended = calendar.next_working_day(original + timedelta(days=10))
    st = await move(handle, "extend_deadline", "head-1", "head", new_deadline=extended.isoformat(), reason="экспертиза")
    await hand_over(handle, key=f"{handle.id}:extension_notice:move-{st.history[-1].seq}")  # delivered in its term
    await sleep_until(env, handle, "extension_notice_sent", timedelta(days=1))
    now = await env.get_current_time()
    await env.sleep(timedelta(days=(original - now.date()).days + 2))  # past the original term only
    await move(handle, "submit_answer", st.executor, "executor", **ANSWER)
    st = await approve_and_deliver(handle)
    assert not st.appeal.answered_late
    delivery = st.history[-1].detail
    assert (delivery["legal_term"], delivery["late"], delivery["closure"]) == (extended.isoformat(), "no", "answered")
    assert [f for f in compliance_findings(engine, None) if f[0] == handle.id] == []


# ---------------------------------------------------------------- extensions


async def test_an_extension_keeps_the_total_term_within_two_months_of_receipt(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    received = datetime.fromisoformat((await handle.query("status", result_type=CaseStatus)).history[0].at)
    card = card_of(engine, handle.id)
    registered = calendar.registration_day(calendar.receipt_moment(card.received_at))
    limit = calendar.add_months(registered, 2) - timedelta(days=1)
    assert received
    a_day_too_far = (limit + timedelta(days=1)).isoformat()  # two months after the ORIGINAL term: refused
    why = await refused(handle, "extend_deadline", "head-1", "head", new_deadline=a_day_too_far, reason="r")
    assert limit.isoformat() in why and "from receipt" in why
    assert "extend_deadline" in await refused(
        handle, "extend_deadline", card.executor, "executor", new_deadline=limit.isoformat(), reason="r"
    )
    st = await move(handle, "extend_deadline", "dep-1", "deputy_head", new_deadline=limit.isoformat(), reason="r")
    assert st.deadline == calendar.previous_working_day(limit).isoformat()
    assert st.appeal.original_deadline < st.deadline
    await hand_over(handle, key=f"{handle.id}:extension_notice:move-{st.history[-1].seq}")
    st = await sleep_until(env, handle, "extension_notice_sent", timedelta(days=1))
    assert [n.template for n in notes_of(engine, handle.id, "extension_notice")] == ["extension_notice"]


async def test_an_extension_after_the_term_is_refused_and_the_missed_term_stays(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """Issue 21.1: the term passed (escalation, disciplinary proposal), then the head extended it:
    it was accepted, `overdue` went back to false and the approval recorded `late: no`."""
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    st = await sleep_until(env, handle, "disciplinary_proposal", timedelta(days=1))
    assert st.overdue and "escalation" in kinds(st)
    later = calendar.next_working_day(date.fromisoformat(st.deadline) + timedelta(days=14))
    assert "an extension is decided while the term runs" in await refused(
        handle, "extend_deadline", "head-1", "head", new_deadline=later.isoformat(), reason="экспертиза"
    )
    st = await status(handle)
    assert st.overdue and st.deadline == st.appeal.original_deadline and card_of(engine, handle.id).overdue
    assert notes_of(engine, handle.id, "extension_notice") == []
    await move(handle, "submit_answer", executor, "executor", **ANSWER)
    await approved_late(handle, engine)


async def test_an_extension_on_the_last_day_of_the_term_is_decided_in_time(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """The boundary's other side: on the term's last working day the head may still extend it."""
    handle = await under_consideration(client, worker)
    st = await status(handle)
    due = datetime.fromisoformat(st.due_at)
    now = await env.get_current_time()
    await env.sleep(due - now - timedelta(hours=2))  # two hours before the term ends
    later = calendar.next_working_day(date.fromisoformat(st.deadline) + timedelta(days=7))
    st = await move(handle, "extend_deadline", "head-1", "head", new_deadline=later.isoformat(), reason="экспертиза")
    assert st.deadline == later.isoformat() and not st.overdue


def test_compliance_lists_an_extension_decided_after_the_term(engine: Engine) -> None:
    """Histories recorded before table v5 could extend a term that had passed: compliance lists
    any extension whose decision came after the term it extended, from the registry."""
    number = "APL-2026-000777"
    _card_with_events(
        engine, number,
        ("extend_deadline", "2026-10-21T09:00:00+00:00", '{"deadline": "2026-10-22 -> 2026-11-20"}'),  # in time
        ("extend_deadline", "2026-11-21T04:00:00+00:00", '{"deadline": "2026-11-20 -> 2026-11-30"}'),  # a day late
    )  # fmt: skip
    found = [f for f in compliance_findings(engine, None) if f[0] == number]
    assert found == [(number, "extension decided after the term", "term 2026-11-20, decided on 2026-11-21")]


def _card_with_events(engine: Engine, number: str, *events: tuple[str, str, str]) -> None:
    """A registry card and its events (trigger, at, detail JSON), as a case's moves write them."""
    with Session(engine) as s:
        s.add(
            CaseRecord(
                reg_number=number, kind="appeal", appeal_type="application", channel="portal", language="ru",
                category="housing", district="alatau", applicant_kind="individual", applicant_identity="",
                applicant_name="", applicants_count=1, addressee="akim", received_at="2026-10-01T10:00:00+05:00",
                state="under_consideration", deadline="2026-10-22", workflow_run="r",
            )
        )  # fmt: skip
        for seq, (trigger, at, detail) in enumerate(events, start=1):
            s.add(
                EventRecord(
                    reg_number=number, key=f"move-{seq}", seq=seq, trigger=trigger, actor_id="ctl-1",
                    actor_role="head" if trigger == "extend_deadline" else "controller",
                    from_state="under_consideration", to_state="under_consideration", at=at, detail=detail, auth="cli",
                )
            )  # fmt: skip
        s.commit()


def test_compliance_lists_a_late_partial_forwarding(engine: Engine) -> None:
    """Issue 21.5: a late forward_part was flagged on its event but never reported."""
    number = "APL-2026-000778"
    late = '{"forward_by": "2026-10-06T19:00:00+00:00", "forward_late": "yes", "questions": "q"}'
    _card_with_events(engine, number, ("forward_part", "2026-10-09T05:00:00+00:00", late))
    found = [f for f in compliance_findings(engine, None) if f[0] == number]
    assert found == [
        (number, "forwarded later than 3 working days", "due 2026-10-06T19:00:00+00:00 (part of the questions)")
    ]


def test_compliance_checks_an_extension_against_the_limit_the_case_ran_under(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21.5: the extension-limit check read today's policy files, not the case's snapshot. A
    case registered under a 3-month limit extended to 2.5 months: within its limit, whatever
    today's policy says; one recorded with a 1-month limit and extended past it is found."""
    within, beyond = "APL-2026-000779", "APL-2026-000780"
    _card_with_events(
        engine, within,
        ("extend_deadline", "2026-10-20T05:00:00+00:00",
         '{"deadline": "2026-10-22 -> 2026-12-15", "extension_limit": "2026-12-31"}'),
    )  # fmt: skip
    _card_with_events(
        engine, beyond,
        ("extend_deadline", "2026-10-20T05:00:00+00:00",
         '{"deadline": "2026-10-22 -> 2026-11-20", "extension_limit": "2026-10-31"}'),
    )  # fmt: skip
    found = {f[0]: f for f in compliance_findings(engine, None) if f[0] in (within, beyond)}
    assert within not in found
    assert found[beyond] == (beyond, "extension beyond the policy limit", "2026-11-20 > 2026-10-31")


async def test_an_extension_records_the_limit_of_the_case_s_policy_snapshot(
    client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    st = await status(handle)
    later = calendar.next_working_day(date.fromisoformat(st.deadline) + timedelta(days=7))
    st = await move(handle, "extend_deadline", "head-1", "head", new_deadline=later.isoformat(), reason="экспертиза")
    card = card_of(engine, handle.id)
    registered = calendar.registration_day(calendar.receipt_moment(card.received_at))
    limit = calendar.add_months(registered, 2) - timedelta(days=1)
    assert st.history[-1].detail["extension_limit"] == limit.isoformat()


async def test_an_extension_notice_that_did_not_go_out_is_flagged_after_three_working_days(
    env: WorkflowEnvironment,
    client: Client,
    worker: Worker,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates)
    letter = templates / "ru" / "extension_notice.txt.j2"
    letter.write_text(letter.read_text(encoding="utf-8") + "{{ stamp_of_the_office }}\n", encoding="utf-8")
    monkeypatch.setenv(TEMPLATE_DIR_ENV, str(templates))
    handle = await under_consideration(client, worker)
    st = await status(handle)
    new = calendar.next_working_day(date.fromisoformat(st.deadline) + timedelta(days=7))
    st = await move(handle, "extend_deadline", "head-1", "head", new_deadline=new.isoformat(), reason="экспертиза")
    assert "extension_notice_overdue" not in kinds(st)
    st = await sleep_until(env, handle, "extension_notice_overdue")
    alerts = notes_of(engine, handle.id, "control_alert")
    assert [a.recipient for a in alerts] == ["head-of-department"] and "не уведомлён" in alerts[0].subject


# ---------------------------------------------------------------- hearing


async def test_a_partial_satisfaction_needs_the_hearing_and_the_letter_shows_local_dates(
    client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    partial = {
        "answer_text": "Частично: ремонт подъезда в плане на 2027 год.",
        "answer_character": "partially_satisfied",
    }
    st = await move(handle, "submit_answer", executor, "executor", **partial)
    assert st.appeal.hearing_until
    assert "hearing" in await refused(handle, "approve", "head-1", "head")
    letter = notes_of(engine, handle.id, "preliminary_decision")[0]
    end = datetime.fromisoformat(st.appeal.hearing_until).astimezone(calendar.local_zone()) - timedelta(minutes=1)
    assert "частичном удовлетворении" in letter.body and "статьёй 73" in letter.body
    assert f"{end:%d.%m.%Y} 23:59" in letter.body and "+00:00" not in letter.body and "T" not in letter.body.split()[0]


async def test_the_hearing_start_is_reminded_and_a_late_refusal_is_flagged_to_the_head(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    st = await sleep_until(env, handle, "hearing_start")
    start_note = next(t for t in st.timeline if t.kind == "hearing_start")
    # 3 working days of hearing, then a working day to decide, inside the term (issue 21.2).
    assert (
        calendar.working_days_between(date.fromisoformat(start_note.detail[-10:]), date.fromisoformat(st.deadline)) == 4
    )
    assert [n.recipient for n in notes_of(engine, handle.id, "control_alert")] == [executor]
    # One working day before the term: a refusal now cannot be heard inside the term.
    st = await sleep_until(env, handle, "reminder")
    st = await sleep_until(env, handle, "reminder", timedelta(hours=6))
    while sum(k == "reminder" for k in kinds(st)) < 2:
        await env.sleep(timedelta(hours=6))
        st = await status(handle)
    refusal = {"answer_text": "Оснований нет.", "answer_character": "refused"}
    st = await move(handle, "submit_answer", executor, "executor", **refusal)
    assert st.appeal.hearing_late and st.appeal.hearing_until > st.due_at and "hearing_past_term" in kinds(st)
    alerts = [n for n in notes_of(engine, handle.id, "control_alert") if n.recipient == "head-of-department"]
    assert len(alerts) == 1 and "не укладывается в срок" in alerts[0].subject


@pytest.mark.parametrize("days_after_the_advised_day", [0, 1])
async def test_a_refusal_on_the_advised_last_day_is_heard_and_decided_inside_the_term(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine, days_after_the_advised_day: int
) -> None:
    """Issue 21.2, both sides of the boundary. Sent on the day the alert names, the hearing ends a
    working day before the term's last day, so the decision fits; sent a working day later, the
    hearing ends on the last day and the head is alerted (before: the alert named that later day,
    and a hearing ending exactly at the term was not flagged)."""
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    st = await sleep_until(env, handle, "hearing_start")
    advised = date.fromisoformat(next(t for t in st.timeline if t.kind == "hearing_start").detail[-10:])
    day = advised
    for _ in range(days_after_the_advised_day):
        day = calendar.next_working_day(day + timedelta(days=1))
    now = await env.get_current_time()
    target = calendar.at_local(day, 11)
    if target > now:
        await env.sleep(target - now)
    refusal = {"answer_text": "Оснований нет.", "answer_character": "refused"}
    st = await move(handle, "submit_answer", executor, "executor", **refusal)
    # A day's end is kept as the next local midnight: the hearing's last day is the second before.
    last_second = datetime.fromisoformat(st.appeal.hearing_until) - timedelta(seconds=1)
    hearing_ends = last_second.astimezone(calendar.local_zone()).date()
    deadline = date.fromisoformat(st.deadline)
    if days_after_the_advised_day == 0:
        assert calendar.working_days_between(hearing_ends, deadline) == 1  # a working day left to decide
        assert not st.appeal.hearing_late and "hearing_past_term" not in kinds(st)
    else:
        assert hearing_ends == deadline and st.appeal.hearing_late and "hearing_past_term" in kinds(st)
        alerts = [n for n in notes_of(engine, handle.id, "control_alert") if n.recipient == "head-of-department"]
        assert len(alerts) == 1 and "не укладывается в срок" in alerts[0].subject


# ---------------------------------------------------------------- anonymous and defective appeals


async def test_an_anonymous_appeal_is_left_without_consideration_at_registration(
    client: Client, worker: Worker, engine: Engine
) -> None:
    appeal = appeal_dict(applicant={"kind": "anonymous"}, contacts={"email": "nobody@example.kz"})
    handle = await start_appeal(client, worker, appeal)
    result = await handle.result()
    assert result.state == "closed" and result.closure_reason == "left_without_consideration"
    assert result.history[-1].detail["ground"] == "anonymous" and result.history[-1].actor_role == "system"
    assert card_of(engine, handle.id).closure_reason == "left_without_consideration"
    (notice,) = notes_of(engine, handle.id, "closure_notice")
    assert "оставлено без рассмотрения" in notice.subject and "прекращено" not in notice.subject
    assert "анонимное обращение" in notice.body


async def test_an_anonymous_report_of_a_crime_is_forwarded_at_once(
    client: Client, worker: Worker, engine: Engine
) -> None:
    appeal = appeal_dict(applicant={"kind": "anonymous"}, contacts={}, category="crime_report")
    handle = await start_appeal(client, worker, appeal)
    result = await handle.result()
    assert result.closure_reason == "forwarded" and result.history[-1].detail["target"] == "police"
    with Session(engine) as s:
        events = [e.trigger for e in s.exec(select(EventRecord).where(EventRecord.reg_number == handle.id))]
    assert events == ["register", "forward"]


@pytest.mark.parametrize("state", ["under_consideration", "returned_for_finalization"])
async def test_leaving_without_consideration_is_possible_until_the_answer(
    client: Client, worker: Worker, engine: Engine, state: str
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    if state == "returned_for_finalization":
        await move(handle, "submit_answer", executor, "executor", **ANSWER)
        with pytest.raises(WorkflowUpdateFailedError):  # not while an answer waits for approval
            await move(handle, "leave_without_consideration", "ctl-1", "controller", details={"ground": "no_essence"})
        await move(handle, "return_for_finalization", "ctl-1", "controller", reason="r")
    assert "details.ground" in await refused(
        handle, "leave_without_consideration", "ctl-1", "controller", details={"ground": "court_act_in_force"}
    )
    st = await move(
        handle,
        "terminate_consideration",
        "ctl-1",
        "controller",
        reason="решение суда от 01.02.2026",
        details={"ground": "court_act_in_force"},
    )
    assert st.closure_reason == "terminated" and st.history[-1].detail["ground"] == "court_act_in_force"
    (notice,) = notes_of(engine, handle.id, "closure_notice")
    assert "прекращено" in notice.subject and "прекращено" in notice.body
    assert "без рассмотрения" not in notice.body and "судебный акт" in notice.body


# ---------------------------------------------------------------- repeat appeals


def later(appeal: dict[str, Any]) -> str:
    return (datetime.fromisoformat(appeal["received_at"]) + timedelta(minutes=5)).isoformat()


async def answered_and_closed(client: Client, worker: Worker, **overrides: Any) -> dict[str, Any]:
    appeal = appeal_dict(**overrides)
    handle = await start_appeal(client, worker, appeal)
    await until_state(handle, "routed")
    executor = (await status(handle)).executor
    await move(handle, "accept", executor, "executor")
    await move(handle, "submit_answer", executor, "executor", **ANSWER)
    await approve_and_deliver(handle)
    return appeal


async def test_a_repeat_of_an_answered_appeal_waits_for_the_controller(
    client: Client, worker: Worker, engine: Engine
) -> None:
    first = await answered_and_closed(client, worker)
    second = appeal_dict(applicant=first["applicant"], text="Снова о крыше, без нового.", received_at=later(first))
    handle = await start_appeal(client, worker, second)
    st = await until_noted(handle, "possible_repeat")
    assert st.state == "registered" and st.appeal.possible_repeat_of == [first["reg_number"]]
    (alert,) = await until_sent(engine, handle.id, "control_alert")
    assert alert.recipient == "department-controller"
    assert first["reg_number"] in alert.body and "Крыша будет отремонтирована" in alert.body
    with pytest.raises(WorkflowUpdateFailedError) as routed:
        await move(handle, "route", "reg-1", "registrar")
    assert "waits_for_repeat_decision" in str(routed.value.cause)
    st = await move(
        handle,
        "terminate_consideration",
        "ctl-1",
        "controller",
        details={"ground": "repeated_without_new_arguments"},
    )
    assert st.closure_reason == "terminated" and st.history[-1].detail["earlier"] == first["reg_number"]
    (notice,) = notes_of(engine, handle.id, "closure_notice")
    assert first["reg_number"] in notice.body and "повторное обращение" in notice.body
    # Another repeat with new arguments is considered as new.
    third = appeal_dict(applicant=first["applicant"], text="Крыша снова течёт после ремонта.", received_at=later(first))
    handle = await start_appeal(client, worker, third)
    await until_noted(handle, "possible_repeat")
    st = await move(handle, "consider_as_new", "ctl-1", "controller", reason="новые доводы: течь после ремонта")
    assert st.state == "routed" and st.executor


async def test_an_earlier_open_appeal_is_related_not_a_repeat(client: Client, worker: Worker, engine: Engine) -> None:
    first = appeal_dict()
    await until_state(await start_appeal(client, worker, first), "routed")
    second = appeal_dict(applicant=first["applicant"], text="И ещё о подъезде.", received_at=later(first))
    handle = await start_appeal(client, worker, second)
    st = await until_state(handle, "routed")
    assert st.appeal.possible_repeat_of == [] and st.appeal.related_to == [first["reg_number"]]
    card = card_of(engine, handle.id)
    assert card.related_to == first["reg_number"] and card.possible_repeat_of == ""


# ---------------------------------------------------------------- forwarding


async def test_the_forwarding_term_is_a_timer_with_a_reminder_and_an_escalation(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await start_appeal(client, worker, appeal_dict())
    await until_state(handle, "routed")  # nobody has accepted it: competence not settled
    st = await sleep_until(env, handle, "forward_overdue")
    assert kinds(st).index("forward_reminder") < kinds(st).index("forward_overdue")
    recipients = [n.recipient for n in notes_of(engine, handle.id, "control_alert")]
    assert recipients == ["department-controller", "head-of-department"]
    # An appeal accepted by its executor is within competence: no forwarding alerts.
    other = await under_consideration(client, worker, received_at=(await env.get_current_time()).isoformat())
    st = await sleep_until(env, other, "reminder")
    assert "forward_reminder" not in kinds(st) and "forward_overdue" not in kinds(st)


async def test_a_partial_forwarding_keeps_the_rest_under_consideration(
    client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker, language="kk")
    assert "target_is_known_body" in await refused(
        handle, "forward_part", "ctl-1", "controller", target="полиция", reason="r", details={"questions": "q"}
    )
    st = await move(
        handle,
        "forward_part",
        "ctl-1",
        "controller",
        target="police",
        reason="құзыреті бойынша",
        details={"questions": "көршінің қоқан-лоққысы"},
    )
    assert st.state == "under_consideration" and st.history[-1].detail["questions"] == "көршінің қоқан-лоққысы"
    (notice,) = notes_of(engine, handle.id, "forwarding_notice")
    assert "ішінара" in notice.subject and "Облыстың полиция департаментіне жіберілді" in notice.body


# ---------------------------------------------------------------- letters and small items


async def test_the_acknowledgement_names_who_accepted_the_appeal(
    client: Client, worker: Worker, engine: Engine
) -> None:
    accepted = appeal_dict(accepted_by="Г. Сапарова, главный специалист")
    await until_state(await start_appeal(client, worker, accepted), "routed")
    default = appeal_dict(language="kk")
    await until_state(await start_appeal(client, worker, default), "routed")
    assert "Обращение принял(а): Г. Сапарова" in notes_of(engine, accepted["reg_number"], "acknowledgement")[0].body
    kk = notes_of(engine, default["reg_number"], "acknowledgement")[0].body
    assert "Өтінішті қабылдаған: Өтініштердің қаралуын бақылау бөлімі" in kk


async def test_the_answer_letter_names_pre_trial_appeal_then_court(
    client: Client, worker: Worker, engine: Engine
) -> None:
    for language, phrase in (("ru", "в досудебном порядке"), ("kk", "сотқа дейінгі тәртіппен")):
        appeal = await answered_and_closed(client, worker, language=language)
        (letter,) = notes_of(engine, appeal["reg_number"], "answer_letter")
        assert phrase in letter.body and "91" in letter.body


async def test_an_overdue_notice_names_the_unit_as_the_regulation_does(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    await sleep_until(env, handle, "escalation", timedelta(days=1))
    (notice,) = notes_of(engine, handle.id, "overdue_notice")
    assert "Отдел контроля за рассмотрением обращений" in notice.body


async def test_a_reception_instruction_term_is_capped_at_the_appeal_term(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    from tests.test_reception import booked

    handle, _ = await booked(env, client, worker, engine)
    too_long = [{"executor": "housing-dept", "text": "Откачать воду.", "term_working_days": 16}]
    assert "15" in await refused(
        handle, "hold", "housing-head", "official", answer_text="Поручено.", details={"instructions": too_long}
    )
    within = [{"executor": "housing-dept", "text": "Откачать воду.", "term_working_days": 15}]
    st = await move(
        handle, "hold", "housing-head", "official", answer_text="Поручено.", details={"instructions": within}
    )
    assert st.state == "under_consideration"
    # Close what the test opened: a reception and its instruction left open and terminated at the
    # end of a test were seen to keep the shared test server's clock locked for later tests.
    child = client.get_workflow_handle(f"{handle.id}-1")
    await until_state(child, "routed")
    await move(child, "withdraw", "reg-1", "registrar", reason="вопрос решён")
    await until_state(handle, "answered")
    await move(handle, "close", "ctl-1", "controller")


APPLICANT_LETTERS: dict[str, dict[str, str]] = {
    "acknowledgement": {"accepted_by": ""},
    "forwarding_notice": {"target": "adaldyk_alany", "reason": "r", "partial": "no", "questions": ""},
    "closure_notice": {
        "closure": "terminated",
        "reason": "",
        "ground": "earlier_decision_on_same_subject",
        "earlier": "",
    },
    "preliminary_decision": {"hearing_until": "2026-12-03T19:00:00+00:00", "answer_character": "refused"},
    "answer_letter": {"answer_text": "Ответ.", "answer_character": "partially_satisfied"},
    "extension_notice": {"reason": "экспертиза"},
}


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("template", sorted(APPLICANT_LETTERS))
def test_every_applicant_letter_exists_in_both_languages_with_local_dates(template: str, language: str) -> None:
    from activities.letters import render

    context = {
        "reg_number": "APL-2026-000042",
        "applicant_name": "Айгерим",
        "received_at": "2026-11-30T04:15:00+00:00",
        "deadline": "2026-12-18",
        "executor": "housing-dept",
        "category": "housing",
        "district": "almaly",
        **APPLICANT_LETTERS[template],
    }
    subject, body = render(template, language, context)
    assert subject and body.strip()
    assert "+00:00" not in subject + body and "2026-12-18" not in body  # dates as people read them
    if template == "acknowledgement":
        assert "30.11.2026 09:15" in body and "18.12.2026" in body
    if template == "preliminary_decision":
        assert "03.12.2026 23:59" in body  # the end of the hearing's last day, local time


# ---------------------------------------------------------------- disciplinary proposals (issue 21.4)


async def test_an_appeal_s_proposal_names_the_executor_at_the_term_and_waits_for_the_head(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    """The proposal was drafted and stayed `drafted`, and named whoever held the appeal when it was
    drafted. Now it names the executor responsible when the term ended, waits for the head's
    decision within its term, and an undecided one is escalated to the akim's office."""
    from models.registry import DisciplinaryProposalRecord

    handle = await under_consideration(client, worker)
    at_term = (await status(handle)).executor
    await sleep_until(env, handle, "escalation", timedelta(hours=6))
    other = next(e for e in ("roads-dept", "utilities-dept") if e != at_term)
    await move(handle, "reassign", "ctl-1", "controller", target=other, reason="передано после срока")
    st = await sleep_until(env, handle, "disciplinary_proposal", timedelta(hours=6))
    [proposal] = st.appeal.proposals
    assert proposal.executors == [at_term] and proposal.status == "awaiting_approval"
    alerts = [n for n in notes_of(engine, handle.id, "control_alert") if n.recipient == "head-of-department"]
    assert any("на согласование" in a.subject for a in alerts)
    with pytest.raises(WorkflowUpdateFailedError):  # the controller does not decide it
        await move(handle, "approve_proposal", "ctl-1", "controller", target=proposal.key, reason="x")
    st = await sleep_until(env, handle, "proposal_overdue", timedelta(hours=6))
    assert [n.recipient for n in notes_of(engine, handle.id, "control_alert") if "Не принято" in n.subject] == [
        "akim-office"
    ]
    st = await move(handle, "approve_proposal", "head-1", "head", target=proposal.key, reason="решение № 5 от 10.12")
    assert st.appeal.proposals[0].status == "sent" and st.history[-1].detail["executor"] == at_term
    with Session(engine) as s:
        row = s.exec(select(DisciplinaryProposalRecord).where(DisciplinaryProposalRecord.key == proposal.key)).one()
    assert row.status == "sent" and row.executor == at_term


async def test_a_closed_appeal_waits_for_the_head_s_decision_on_its_proposal(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle = await under_consideration(client, worker)
    executor = (await status(handle)).executor
    st = await sleep_until(env, handle, "disciplinary_proposal", timedelta(hours=6))
    await move(handle, "submit_answer", executor, "executor", **ANSWER)
    st = await approve_and_deliver(handle)
    assert st.state == "closed"
    await asyncio.sleep(0.2)
    running = (await handle.describe()).status
    assert running is not None and running.name == "RUNNING"  # the proposal still awaits the head
    st = await move(
        handle, "reject_proposal", "head-1", "head", target=st.appeal.proposals[0].key, reason="уважительная причина"
    )
    assert st.appeal.proposals[0].status == "rejected"
    result = await asyncio.wait_for(handle.result(), timeout=30)
    assert result.state == "closed"


async def test_incomplete_appeals_are_registered_then_left_or_marked_for_correction(
    client: Client, worker: Worker, engine: Engine
) -> None:
    """Issue 21.7: an appeal without a name or any contact was refused at input; it is registered
    and left without consideration (ground anonymous, recorded). One without an IIN is registered,
    considered and marked for correction: the controller is told what is missing."""
    nameless = appeal_dict(applicant={"kind": "person", "iin": valid_iin()}, contacts={})
    handle = await start_appeal(client, worker, nameless)
    st = await until_state(handle, "closed")
    assert st.closure_reason == "left_without_consideration" and st.history[-1].detail.get("ground") == "anonymous"
    assert card_of(engine, handle.id).state == "closed"
    no_iin = appeal_dict(applicant={"kind": "person", "name": "Айгерим Садыкова"})
    handle = await start_appeal(client, worker, no_iin)
    st = await until_state(handle, "routed")
    assert "needs_correction" in kinds(st)
    (alert,) = [n for n in notes_of(engine, handle.id, "control_alert") if n.recipient == "department-controller"]
    assert "с недостатками" in alert.subject and "applicant.iin" in alert.body
