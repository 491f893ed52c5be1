"""What the letters say, as a department's lawyer reads them (issue 21, "Letters")."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from activities.letters import render

CASE = {
    "reg_number": "APL-2026-000042",
    "applicant_name": "Айгерим",
    "executor": "housing-dept",
    "category": "housing",
    "district": "almaly",
    "deadline": "2026-12-18",
}


@pytest.mark.parametrize(
    ("language", "pre_trial", "through_the_body", "not_said"),
    [
        ("ru", "в досудебном порядке", "через орган, решение которого обжалуется", "или в суд"),
        ("kk", "сотқа дейінгі тәртіппен", "шешіміне шағым жасалатын орган арқылы", "немесе сотқа"),
    ],
)
def test_a_reception_result_names_the_pre_trial_complaint_first_and_through_whom(
    language: str, pre_trial: str, through_the_body: str, not_said: str
) -> None:
    """APPC art. 91: the pre-trial complaint comes before the court, and it is filed through the
    body whose act is contested (the reception letter said "to a higher body or to court")."""
    _, body = render(
        "reception_answer",
        language,
        {**CASE, "reg_number": "RCP-2026-000001", "outcome": "разъяснено", "official_name": "Аким", "instructions": ""},
    )
    assert pre_trial in body and through_the_body in body and not_said not in body
    _, answer = render("answer_letter", language, {**CASE, "answer_text": "...", "answer_character": "refused"})
    assert through_the_body in answer


@pytest.mark.parametrize(("language", "cited"), [("ru", "подпунктом 4) пункта 9"), ("kk", "9-тармағының 4)")])
def test_an_appeal_s_disciplinary_proposal_cites_item_9_4(language: str, cited: str) -> None:
    """Seed 9.4: violations on appeals (executive discipline); 9.5 is for instructions."""
    _, body = render("disciplinary_proposal", language, {**CASE, "overdue_days": "3"})
    assert cited in body
    _, instruction = render(
        "instruction_proposal",
        language,
        {
            **CASE,
            "reg_number": "PRI-2026-000001",
            "issuer_name": "x",
            "reason": "x",
            "term": "2026-12-18",
            "officials": "x",
        },
    )
    assert ("подпунктом 5) пункта 9" if language == "ru" else "9-тармағының 5)") in instruction


def test_kazakh_wording() -> None:
    subject, body = render("closure_notice", "kk", {**CASE, "closure": "withdrawn", "reason": "x", "ground": ""})
    assert "кері қайтарып алынды" in subject and "кері қайтарылды" not in subject + body  # withdrawn by the applicant
    subject, _ = render("overdue_notice", "kk", {**CASE, "overdue_days": "1"})
    assert "өтінішінің мерзімі" in subject  # genitive
    for alert in ("forward_reminder", "forward_overdue"):
        subject, body = render("control_alert", "kk", {**CASE, "alert": alert, "forward_by": "2026-12-03"})
        assert "құзыреті бойынша жіберу" in subject + body and "қайта жіберу" not in subject + body


@pytest.mark.parametrize(("language", "article"), [("ru", "статья 76 АППК"), ("kk", "ӘРПК 76-бабы")])
def test_the_hearing_late_alert_cites_the_article_on_extensions(language: str, article: str) -> None:
    context = {**CASE, "alert": "hearing_late", "hearing_until": "2026-12-18T19:00:00+00:00", "now": "2026-12-15"}
    _, body = render("control_alert", language, context)
    assert article in body and "73" not in body.split(article)[0].split(".")[-1]


def test_the_prosecutor_body_is_the_one_seed_8_5_names_in_both_languages() -> None:
    from policies.loading import load_policy

    body = load_policy("appeals")["forward_bodies"]["prosecutor_centre"]
    assert "Центр правоохранительных услуг при Генеральной прокуратуре" in body["name_ru"]
    assert "правоохранительного блока" in body["name_ru"] and "правовой статистики" not in body["name_ru"]
    assert "Бас прокуратурасы жанындағы Құқық қорғау қызметтері орталығына" in body["name_kk_dative"]
    assert "өңірлік қоғамдық қабылдау" in body["name_kk_dative"]


async def test_letters_carry_who_decided_in_what_position_and_when(client: Any, worker: Any, engine: Any) -> None:
    """The answer letter and the extension notice name the signatory (name, position) and the date."""
    from sqlmodel import Session, select

    from models.registry import NotificationRecord
    from tests.factories import appeal_dict
    from tests.scenario import answer, move, server_now, start_appeal, status, until_state
    from tooling.client import transition
    from tooling.seal import Identity

    handle = await start_appeal(client, worker, appeal_dict(category="housing"))
    await until_state(handle, "routed")
    head = Identity("s.karimov", "С. Каримов", ["head"], "")
    st = await status(handle)
    later = (date.fromisoformat(st.deadline) + timedelta(days=7)).isoformat()
    now = await server_now(client)
    await transition(handle, "extend_deadline", head, "head", now=now, new_deadline=later, reason="экспертиза")
    await move(handle, "accept", "housing-dept", "executor")
    await answer(handle, "housing-dept", "Сделано.", "satisfied")
    await transition(handle, "approve", head, "head", now=await server_now(client))
    with Session(engine) as s:
        letters = {
            n.template: n.body
            for n in s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == handle.id))
        }
    for template in ("extension_notice", "answer_letter"):
        assert "С. Каримов" in letters[template] and "Заведующий отделом по работе с обращениями" in letters[template]
        assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", letters[template])  # the date, local
    assert "статья 76 АППК" in letters["extension_notice"]


async def test_the_acknowledgement_names_the_registration_day_when_the_term_counts_from_another_day(
    client: Any, worker: Any, engine: Any
) -> None:
    """Issue 21.7: an appeal received after hours or on a day off is registered on the next working
    day, and the term counts from that day: the acknowledgement said only when it was received."""
    from sqlmodel import Session, select

    from models.registry import NotificationRecord
    from policies import calendar
    from tests.factories import appeal_dict
    from tests.scenario import server_now, start_appeal, until_state

    today = (await server_now(client)).astimezone(calendar.local_zone()).date()
    late_evening = calendar.at_local(today - timedelta(days=1), 20)  # after 18:30: the next working day
    working_day = calendar.previous_working_day(today - timedelta(days=1))
    in_hours = calendar.at_local(working_day, 11)
    bodies = {}
    for name, received in (("late", late_evening), ("in_hours", in_hours)):
        appeal = appeal_dict(received_at=received.isoformat())
        await until_state(await start_appeal(client, worker, appeal), "routed")
        with Session(engine) as s:
            bodies[name] = next(
                n.body
                for n in s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == appeal["reg_number"]))
                if n.template == "acknowledgement"
            )
    registered = calendar.registration_day(late_evening)
    assert f"со дня регистрации {registered:%d.%m.%Y}" in bodies["late"]
    assert "со дня регистрации" not in bodies["in_hours"]
