"""The main job: dev server + Web UI, worker, and a handful of demo appeals in different states.

Runs on the embedded defaults (temporal-dev.yaml, SQLite registry, demo timing where one working
day lasts a minute). The story is deliberate: one appeal, received 12 working days before today,
is late: its reminder, its escalation and a disciplinary proposal arrive within about five
minutes, at the times printed. Every other case stays within its terms for about ten minutes
(a 15-working-day term lasts 15). Ctrl-C stops everything and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any

from models.case_status import CaseStatus
from models.identity import with_check_digit
from models.registry import make_engine
from policies import calendar
from policies.calendar import local_today, local_year
from runtime.clock import utc_now
from tooling import devserver
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
        appeal(numbers[0], base + 1, now),  # answered and closed
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

    await until_routed(client, numbers[:4] + numbers[5:])
    await act(numbers[0], "accept", "housing-dept", "executor")
    await act(
        numbers[0],
        "submit_answer",
        "housing-dept",
        "executor",
        answer_text="Ремонт включён в план на май.",
        answer_character="satisfied",
    )
    await act(numbers[0], "approve", "head-1", "head")
    repeat["received_at"] = utc_now().isoformat()
    await start_appeal(client, validated(repeat), REGISTRAR, "cli", task_queue)
    await act(numbers[1], "accept", "utilities-dept", "executor")
    await act(
        numbers[1],
        "submit_answer",
        "utilities-dept",
        "executor",
        answer_text="Вопрос изучается.",
        answer_character="explained",
    )
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
    await act(
        numbers[5],
        "submit_answer",
        "social-dept",
        "executor",
        answer_text="Оснований для выплаты нет.",
        answer_character="refused",
    )
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


def print_story(numbers: list[str], now: datetime) -> None:
    """Which case will be late and when; until when the others stay within their terms."""
    names = {
        "reminder": "reminder to the executor (1 working day before the term)",
        "escalation": "term missed: overdue escalation to the head (CaseOverdue = true)",
        "disciplinary": "disciplinary proposal drafted (2 working days after the term)",
    }
    late = numbers[3]
    print(f"\nThe late case: {late}, received {LATE_BY_WORKING_DAYS} working days ago (a working day lasts a minute).")
    print("  at once          the forwarding term (3 working days from receipt) has passed: the head is alerted")
    for kind, at in late_story(now):
        if kind in names:
            print(f"  at about {at.astimezone().strftime('%H:%M:%S')}  {names[kind]}")
    calm = first_term_point(now).astimezone().strftime("%H:%M")
    print(f"The other appeals stay within their terms: their first reminders come at about {calm}.")
    forward = (now + timedelta(minutes=3)).astimezone().strftime("%H:%M")
    print(
        f"{numbers[4]} (a possible repeat) waits for the controller: consider_as_new or terminate_consideration;"
        f" if not decided by about {forward}, its forwarding term ends and the head is alerted."
    )


def ensure_demo_users() -> None:
    """The demo's operators in the embedded user directory (created once)."""
    from models.registry import make_engine
    from tooling.users import DirectoryError, add_user

    engine = make_engine()
    for user_id, name, role, unit in DEMO_USERS:
        try:
            add_user(engine, user_id, name, [role], unit, DEMO_PASSWORD)
        except DirectoryError:
            pass  # already there from an earlier demo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="seed, print, and stop (no waiting)")
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warn", "error"],
        default="error",
        help="the dev server's log level (default error: its per-page warnings stay out of the demo's output)",
    )
    args = parser.parse_args()
    config = dict(devserver.load_config(), log_level=args.log_level)
    address = f"{config['ip']}:{config['frontend_port']}"
    os.environ.setdefault("TEMPORAL_ADDRESS", address)
    os.environ.setdefault("APPEALS_TIMING_PROFILE", "demo")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        try:
            devserver.wait_for_port(str(config["ip"]), int(config["frontend_port"]), timeout=0.5)
            print(f"using the Temporal server already on {address}")
        except TimeoutError:
            procs.append(devserver.start(config))
        from runtime.codec import load_key_ring

        load_key_ring()  # creates .keys/codec.json on the first run, before any process needs it
        ensure_demo_users()
        procs.append(child("-m", "web"))
        procs.append(child("worker.py"))
        numbers = asyncio.run(seed("appeals", utc_now()))
        water = asyncio.run(seed_water("appeals", utc_now()))
        time.sleep(1)  # the six cards are written as their workflows start
        reports = asyncio.run(run_reports("appeals", utc_now()))
        ui = f"http://{config['ip']}:{config['ui_port']}/namespaces/{config['namespace']}/workflows"
        print("\nDemo appeals:", ", ".join(numbers[:6]))
        print(f"Temporal Web UI: {ui}")
        print_story(numbers, utc_now())
        print("CLI: .venv/bin/python starter.py list   |   .venv/bin/python starter.py status", numbers[3])
        print("Receptions:", ", ".join(numbers[6:]), "  |  .venv/bin/python starter.py reception show", numbers[6])
        print("\nOperators log in at http://127.0.0.1:8081/login  (demo password:", DEMO_PASSWORD + ")")
        for user_id, name, role, unit in DEMO_USERS:
            print(f"  {user_id:<13} {role}{' of ' + unit if unit else ''}  ({name})")
        print("In the Web UI: gear icon (Data Encoder) -> Remote Codec Endpoint http://127.0.0.1:8081 and switch on")
        print('"Include cross-origin credentials"; then Signals and Updates are sent as the logged-in user.')
        print("CLI moves: .venv/bin/python starter.py login housing-exec   (then starter.py move ...)")
        print(f"\nReports for the akim on this month ({len(water)} like appeals about water in Aksai among them):")
        for path in reports:
            print(f"  {path}")
        print("Scheduled (Web UI -> Schedules): half-year-instructions-report, district-problem-cards-monthly,")
        print("overdue-digest-weekly, case-reconciliation-hourly.")
        print("Any report, any period: .venv/bin/python starter.py report --help")
        if args.once:
            time.sleep(3)
            return 0
        print("Ctrl-C stops the worker, the codec server and the dev server, in that order.")
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        gone = next(p for p in procs if p.poll() is not None)
        print(f"demo: {gone.args!r} stopped (exit {gone.returncode}); stopping the rest")
        return 1
    except KeyboardInterrupt:
        print("\nstopping...")
        return 0
    finally:
        stop_all(procs)


def child(*command: str) -> subprocess.Popen[bytes]:
    """One of the demo's Python processes, in its own session (Ctrl-C reaches the demo only)."""
    return subprocess.Popen(
        [sys.executable, *command], cwd=devserver.ROOT, env=os.environ.copy(), start_new_session=True
    )


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the worker first (SIGTERM: it finishes what is in flight), the server last."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
