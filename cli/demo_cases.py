"""The demo's cases: appeals in different states (one of them late, with its timers printed), a
reception with an instruction, like appeals about water in one microdistrict for the reports, and
the reports themselves. `cli/demo.py` runs the stack and calls these."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from models.case_status import CaseStatus
from models.identity import with_check_digit
from models.registry import make_engine
from policies import calendar
from policies.calendar import local_today, local_year
from runtime.clock import utc_now
from tooling.client import start_case, transition
from tooling.numbering import allocate_number
from tooling.seal import staff
from workflows.kinds import BY_NAME

# The demo's registrar (a demo user too): the demo holds the codec key and seals its registrations
# as this registrar's, as the codec server seals a logged-in registrar's.
REGISTRAR = staff("registrar-1", "registrar")


def iin_for(seed: int) -> str:
    for n in range(seed, seed + 50):
        number = with_check_digit(f"900115{n % 100_000:05d}")
        if number:
            return number
    raise RuntimeError("no IIN found")


def appeal(number: str, seed: int, now: datetime, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reg_number": number,
        "type": "application",
        "channel": "eotinish",
        "language": "ru",
        "applicant": {"kind": "person", "name": f"Заявитель {seed}", "iin": iin_for(seed)},
        "contacts": {"email": f"applicant{seed}@example.kz"},
        "addressee": "Аким области",
        "category": "housing",
        "district": "almaly",
        "text": "Прошу рассмотреть вопрос капитального ремонта дома.",
        "received_at": now.isoformat(),
    }
    data.update(overrides)
    return data


# Received this long before today: the term ends in 2 working days, so the reminder 1 working day
# before it is always ahead and the one 3 working days before always past, whatever the hour.
LATE_BY_WORKING_DAYS = 12


def late_receipt_day(now: datetime) -> date:
    """The late appeal's receipt day: 12 working days before the demo's working day, which is the
    local (Almaty) day of `now`, or on a day off the working day before it (so a weekend or a
    holiday does not add a day to the story). Never the UTC date: from 19:00 UTC Almaty is a day on."""
    today = local_today(now)
    reference = today if calendar.is_working_day(today) else calendar.previous_working_day(today)
    return calendar.working_days_before(reference, LATE_BY_WORKING_DAYS)


def demo_timers(now: datetime, received: str) -> list[tuple[str, datetime]]:
    """When the timers of an appeal received at `received` fire in demo timing: the plan its
    workflow makes at registration (an appeal that is not a reception's instruction), computed
    the same way."""
    from activities.policy import plan_deadline
    from models.deadlines import DeadlineRequest
    from policies.terms import control_rules

    request = DeadlineRequest(
        "demo",
        now.isoformat(),
        received,
        control_rules("demo"),
        15,
        from_receipt=True,
        watch_forwarding=True,
        watch_hearing_start=True,
    )
    return [(point.kind, datetime.fromisoformat(point.fire_at)) for point in plan_deadline(request).points]


def late_story(now: datetime) -> list[tuple[str, datetime]]:
    """What happens to the late appeal, and when."""
    return demo_timers(now, calendar.at_local(late_receipt_day(now), 10).isoformat())


def first_term_point(now: datetime) -> datetime:
    """When the first legal-term timer (a reminder) of an appeal received now fires."""
    legal = ("reminder", "escalation", "disciplinary")
    return min(at for kind, at in demo_timers(now, now.isoformat()) if kind in legal)


async def act_on(client: Any, number: str, trigger: str, actor: str, role: str, **fields: Any) -> CaseStatus:
    """One move by a demo operator, sealed as the codec server would seal it."""
    handle = client.get_workflow_handle(number)
    result: CaseStatus = await transition(handle, trigger, staff(actor, role), role, **fields)
    return result


async def until_routed(client: Any, numbers: list[str]) -> None:
    """Wait until routing by policy is done (at registration)."""
    for number in numbers:
        handle = client.get_workflow_handle(number)
        for _ in range(100):
            if (await handle.query("status", result_type=CaseStatus)).state == "routed":
                break
            await asyncio.sleep(0.2)


async def seed(task_queue: str, now: datetime) -> list[str]:
    from cli.appeals import start_appeal, validated
    from tooling.client import connect

    client = await connect()
    engine = make_engine()
    year = local_year(now)
    numbers = [allocate_number(engine, BY_NAME["appeal"].prefix, year) for _ in range(6)]
    base = int(numbers[0].rsplit("-", 1)[1]) * 10
    late_received = late_receipt_day(now)
    appeals = [
        appeal(numbers[0], base + 1, now),  # answered, its letter handed over: closed
        appeal(numbers[1], base + 2, now, category="utilities", language="kk"),  # returned for finalization
        appeal(numbers[2], base + 3, now, category="land", text="Вопрос о пенсии."),  # forwarded
        appeal(
            numbers[3],
            base + 4,
            now,
            category="roads",
            district="medeu",  # late: reminder, escalation, proposal
            received_at=calendar.at_local(late_received, 10).isoformat(),
        ),
        appeal(numbers[5], base + 6, now, type="complaint", category="social"),  # refusal waiting for the hearing
    ]
    for raw in appeals:
        await start_appeal(client, validated(raw), REGISTRAR, "cli", task_queue)
    # Registered once the first is answered: a possible repeat, waiting for the controller's decision.
    repeat = appeal(numbers[4], base + 1, now, text="Повторно о ремонте крыши.")

    async def act(number: str, trigger: str, actor: str, role: str, **fields: Any) -> CaseStatus:
        return await act_on(client, number, trigger, actor, role, **fields)

    async def answer(number: str, executor: str, text: str, character: str) -> CaseStatus:
        return await act(number, "submit_answer", executor, "executor", answer_text=text, answer_character=character)

    await until_routed(client, numbers[:4] + numbers[5:])
    await act(numbers[0], "accept", "housing-dept", "executor")
    await answer(numbers[0], "housing-dept", "Ремонт включён в план на май.", "satisfied")
    approved = await act(numbers[0], "approve", "head-1", "head")
    # Given when it reaches the applicant (table v7): the registry office hands the letter over.
    letter = {"notice": approved.appeal.answer_letter, "tracking": "RA000000000KZ"}
    await act(numbers[0], "mark_posted", "registrar-1", "registrar", details=letter)
    repeat["received_at"] = utc_now().isoformat()
    await start_appeal(client, validated(repeat), REGISTRAR, "cli", task_queue)
    await act(numbers[1], "accept", "utilities-dept", "executor")
    await answer(numbers[1], "utilities-dept", "Вопрос изучается.", "explained")
    await act(numbers[1], "return_for_finalization", "controller-1", "controller", reason="ответ не по существу")
    await act(
        numbers[2],
        "forward",
        "registrar-1",
        "registrar",
        target="ministry",
        reason="вопрос пенсионного обеспечения вне компетенции акимата",
    )
    await act(numbers[3], "accept", "akimat-medeu", "executor")
    await act(numbers[5], "accept", "social-dept", "executor")
    await answer(numbers[5], "social-dept", "Оснований для выплаты нет.", "refused")
    return numbers + await seed_reception(client, engine, task_queue, now)


# The instructions given at the demo's reception: terms long enough that they stay within them for
# the demo's ten minutes (a working day lasts a minute), and within the policy's maximum
# (policies/receptions.yaml instruction_max_working_days).
RECEPTION_INSTRUCTIONS: list[dict[str, Any]] = [
    {"executor": "housing-dept", "text": "Откачать воду из подвала.", "term_working_days": 13},
    {"executor": "utilities-dept", "text": "Проверить ливневую канализацию.", "term_working_days": 15},
]


async def seed_reception(client: Any, engine: Any, task_queue: str, now: datetime) -> list[str]:
    """A reception held with two instructions (child appeal workflows), and one booked for later."""
    from activities.receptions import create_slots, list_slots
    from models.reception import parse_reception

    year = local_year(now)
    today = local_today(now)
    day = calendar.next_working_day(today + timedelta(days=1))
    slots: list[Any] = []
    while len(slots) < 2:  # a second demo run finds the first run's slots booked: take free ones
        create_slots(engine, "housing-head", day, "10:00", "11:00", 20)
        slots = [slot for slot, _ in list_slots(engine, "housing-head", day, free_only=True)]
        day = calendar.next_working_day(day + timedelta(days=1))
    create_slots(
        engine,
        "akim",
        calendar.next_working_day(today + timedelta(days=3)),
        "10:00",
        "12:00",
        30,
        kind="visiting",
        district="nauryzbay",
        place="Дом культуры, Наурызбайский район",
    )
    numbers = [allocate_number(engine, BY_NAME["reception"].prefix, year) for _ in range(2)]
    base = int(numbers[0].rsplit("-", 1)[1]) * 10 + 7
    for i, number in enumerate(numbers):
        raw = {
            "reg_number": number,
            "citizen": {"kind": "person", "name": f"Гражданин {i + 1}", "iin": iin_for(base + i)},
            "contacts": {"email": f"citizen{base + i}@example.kz"},
            "language": "ru",
            "issue": "Подтопление подвала многоквартирного дома.",
            "category": "housing",
            "district": "medeu",
            "requested_official": "housing-head",
            "format": "office",
            "received_at": now.isoformat(),
        }
        await start_case(client, "ReceptionWorkflow", parse_reception(raw), number, task_queue, who=REGISTRAR)

    async def act(number: str, trigger: str, actor: str, role: str, **fields: Any) -> CaseStatus:
        handle = client.get_workflow_handle(number)
        result: CaseStatus = await transition(handle, trigger, staff(actor, role), role, **fields)
        return result

    await act(numbers[0], "schedule", "registrar-1", "registrar", target=str(slots[0].slot_id))
    await act(
        numbers[0],
        "hold",
        "housing-head",
        "official",
        answer_text="Даны поручения по подвалу и двору.",
        details={"instructions": RECEPTION_INSTRUCTIONS},
    )
    await act(
        numbers[1],
        "schedule",
        "registrar-1",
        "registrar",
        target=str(slots[1].slot_id),
        details={"participants": ["Аким Медеуского района"]},
    )
    return numbers


DEMO_PASSWORD = "demo-password-2026"  # demo users only; `starter.py users passwd` changes it
DEMO_USERS = [  # (id, name, role, unit)
    ("registrar-1", "Регистратор (демо)", "registrar", ""),
    ("controller-1", "Контролёр (демо)", "controller", ""),
    ("housing-exec", "Исполнитель управления жилищной политики (демо)", "executor", "housing-dept"),
    ("head-1", "Заведующий отделом (демо)", "head", ""),
    ("deputy-1", "Заместитель заведующего (демо)", "deputy_head", ""),
    ("housing-head", "Руководитель управления, ведёт приём (демо)", "official", ""),
    ("auditor-1", "Аудитор (демо)", "auditor", ""),
]


WATER = [  # six applicants, one problem, their own words: the systemic-problem certificate flags it
    "В селе Аксай нет воды уже вторую неделю, прошу принять меры.",
    "Уважаемый аким! В с. Аксай отсутствует водоснабжение, дети остались без воды.",
    "Водопровод в селе Аксай не работает, воду возим сами из соседнего села.",
    "Жалоба: в Аксае нет холодной воды в домах, обращения в сельский акимат без результата.",
    "Перебои с подачей воды в селе Аксай, вода из крана не идёт совсем.",
    "Сломана водонапорная башня в селе Аксай, воды нет с начала месяца.",
]


async def seed_water(task_queue: str, now: datetime) -> list[str]:
    """Six appeals about the same broken water supply in one village, for the reports."""
    from cli.appeals import start_appeal, validated
    from tooling.client import connect

    client = await connect()
    engine = make_engine()
    numbers = [allocate_number(engine, BY_NAME["appeal"].prefix, local_year(now)) for _ in WATER]
    base = int(numbers[0].rsplit("-", 1)[1]) * 10 + 500
    for i, (number, text) in enumerate(zip(numbers, WATER, strict=True)):
        raw = appeal(number, base + i, now, category="utilities", district="nauryzbay", type="complaint", text=text)
        await start_appeal(client, validated(raw), REGISTRAR, "cli", task_queue)
    await until_routed(client, numbers)
    for number in numbers:  # taken into work: their terms run; the forwarding term is met
        await act_on(client, number, "accept", "utilities-dept", "executor")
    return numbers


async def seed_instruction(task_queue: str, now: datetime) -> str:
    """A Presidential instruction under monthly control, with two executors (the first coordinates)."""
    from models.instruction import parse_instruction
    from tooling.client import connect, start_case

    engine = make_engine()
    number = allocate_number(engine, BY_NAME["instruction"].prefix, local_year(now))
    first_term = calendar.add_working_days(local_today(now), 10)
    raw = {
        "reg_number": number,
        "issuer": "president",
        "issuer_official": "Глава государства, совещание по паводкам",
        "text": "Обеспечить готовность ливневой канализации микрорайона Аксай к паводкам.",
        "control": "monthly",
        "first_term": first_term.isoformat(),
        "periods": 3,
        "executors": ["housing-dept", "roads-dept"],
        "related_appeals": [],
        "received_at": now.isoformat(),
    }
    instruction = parse_instruction(raw)
    await start_case(await connect(), "InstructionWorkflow", instruction, number, task_queue, who=REGISTRAR)
    return number


def report_period(now: datetime) -> tuple[date, date]:
    """The demo's report period: the local month of `now` up to its local day, the days the
    registry keeps the demo's receipts under (local receipt dates, never the UTC date)."""
    today = local_today(now)
    return today.replace(day=1), today


async def run_reports(task_queue: str, now: datetime) -> list[str]:
    """The reports on this month so far, from the demo's registry, through ReportWorkflow (the
    same workflow the schedules start); the HTML files written."""
    from models.notices import ReportRequest, ReportResult
    from tooling.client import connect

    client = await connect()
    first, today = report_period(now)
    paths: list[str] = []
    for kind, district in (("systemic", ""), ("performance", ""), ("district", "nauryzbay")):
        request = ReportRequest(kind, district=district, start=first.isoformat(), end=today.isoformat())
        result: ReportResult = await client.execute_workflow(
            "ReportWorkflow", request, id=f"demo-report-{kind}-{today}", task_queue=task_queue, result_type=ReportResult
        )
        paths.extend(p for p in result.paths if p.endswith(".html"))
    return paths
