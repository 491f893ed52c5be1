"""Against a real dev server (start_local): appeals started with starter.py and read back."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from models.case_status import CaseStatus
from models.registry import CaseRecord, RegistrationCounter
from tests.conftest import Served
from tests.factories import appeal_dict, register_args, valid_iin
from tests.scenario import answer, registration
from tooling.client import TASK_QUEUE
from tooling.trail import LOCAL_ACTIVITY_MARKER

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def printed_number(result: subprocess.CompletedProcess[str]) -> str:
    """The registration number a CLI command that registers prints (it succeeded)."""
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "starter.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


REGISTER_ARGS = ("--type", "request", "--category", "roads", "--district", "almaly", "--text", "Яма на дороге")


async def test_only_a_logged_in_registrar_registers_by_cli(dev_env: WorkflowEnvironment, served: Served) -> None:
    """Issue 20.2: a registration is sealed by a registrar; the CLI asks before it takes a number."""
    person = ("--name", "Ерлан", "--iin", valid_iin(), "--phone", "+77011112233")
    anonymous = await cli("register", *REGISTER_ARGS, *person, env=served.env)
    assert anonymous.returncode == 1 and "not logged in" in anonymous.stderr, anonymous.stderr
    executor = await cli("register", *REGISTER_ARGS, *person, env=served.as_user("roads-dept", "executor"))
    assert executor.returncode == 1 and "roads-dept may not register cases" in executor.stderr, executor.stderr
    with Session(served.engine) as s:
        assert s.exec(select(RegistrationCounter)).all() == []  # no number was taken


async def test_starter_registers_imports_moves_and_lists(
    dev_env: WorkflowEnvironment, tmp_path: Path, served: Served
) -> None:
    env = served.as_user("reg-1", "registrar")
    one = await cli(
        *register_args(category="roads", text="Яма на дороге", name="Ерлан", contact=("--phone", "+77011112233")),
        env=env,
    )
    number = printed_number(one)
    assert number.startswith("APL-")
    rows = [appeal_dict(reg_number="") for _ in range(3)] + [appeal_dict(reg_number="", category="nope")]
    source = tmp_path / "appeals.json"
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    imported = await cli("import", str(source), env=env)
    assert imported.returncode == 2 and "row 4: category" in imported.stderr  # the bad row is named
    assert "registered 3 of 4" in imported.stdout
    again = await cli(
        *register_args(category="roads", text="x", name="Е", number=number, contact=("--phone", "1")), env=env
    )
    assert again.returncode == 2 and "already registered" in again.stderr
    moved = await cli("move", number, "accept", env=served.as_user("akimat-almaly", "executor"))
    assert moved.returncode == 0, moved.stderr
    refused = await cli("move", number, "approve", "--role", "head", env=served.as_user("h", "head"))
    assert refused.returncode == 1 and "refused" in refused.stderr and "Traceback" not in refused.stderr
    # The CLI cannot claim another person, or a role its user does not hold.
    executor = served.as_user("akimat-almaly", "executor")
    claimed = await cli("move", number, "approve", "--actor", "h", "--role", "head", env=executor)
    assert claimed.returncode == 1 and "cannot be made as 'h'" in claimed.stderr
    role = await cli("move", number, "approve", "--role", "head", env=executor)
    assert role.returncode == 1 and "does not hold the role 'head'" in role.stderr
    logged_out = await cli("move", number, "approve", env=dict(env, APPEALS_SESSION_FILE=str(tmp_path / "none.json")))
    assert logged_out.returncode == 1 and "not logged in" in logged_out.stderr
    shown = await cli("status", number, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["state"] == "under_consideration" and data["executor"] == "akimat-almaly"
    status = await dev_env.client.get_workflow_handle(number).query("status", result_type=CaseStatus)
    assert [h.trigger for h in status.history] == ["route", "accept"]
    listed = await cli("list", "--json", "--state", "under_consideration", env=env)
    assert [row["reg_number"] for row in json.loads(listed.stdout)] == [number]
    # Operators filter in the Web UI by our search attributes.
    found = []
    for _ in range(50):
        found = [
            w.id
            async for w in dev_env.client.list_workflows(
                "CaseState = 'under_consideration' AND CaseExecutor = 'akimat-almaly'"
            )
        ]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [number]


async def test_reception_by_cli(dev_env: WorkflowEnvironment, tmp_path: Path, served: Served) -> None:
    from datetime import timedelta

    from policies import calendar

    env = served.as_user("reg-1", "registrar")
    day = calendar.next_working_day((await dev_env.get_current_time()).date() + timedelta(days=2))
    made = await cli(
        "reception",
        "create-slots",
        "--official",
        "housing-head",
        "--date",
        day.isoformat(),
        "--from",
        "10:00",
        "--to",
        "11:00",
        "--minutes",
        "30",
        env=env,
    )
    assert made.returncode == 0 and "2 slot(s)" in made.stdout, made.stderr
    booked = await cli(
        "reception",
        "book",
        "--name",
        "Болат",
        "--iin",
        valid_iin(),
        "--issue",
        "Подвал",
        "--official",
        "housing-head",
        "--category",
        "housing",
        "--district",
        "medeu",
        "--phone",
        "+77015550000",
        env=env,
    )
    number = printed_number(booked)
    free = await cli("reception", "slots", "--official", "housing-head", "--free", env=env)
    slot_id = free.stdout.split("│")[1].strip() if "│" in free.stdout else ""
    assert slot_id.isdigit(), free.stdout
    registrar = served.as_user("reg-1", "registrar")
    scheduled = await cli("reception", "schedule", number, "--slot", slot_id, env=registrar)
    assert scheduled.returncode == 0 and "routed" in scheduled.stdout, scheduled.stderr
    taken = await cli("reception", "schedule", number, "--slot", slot_id, env=registrar)
    assert taken.returncode == 1 and "refused" in taken.stderr
    held = await cli(
        "reception",
        "hold",
        number,
        "--actor",
        "housing-head",
        "--outcome",
        "Поручено",
        "--instruction",
        "housing-dept:5:Откачать воду",
        env=served.as_user("housing-head", "official"),
    )
    assert held.returncode == 0 and f"{number}-1" in held.stdout, held.stderr
    for _ in range(50):
        shown = await cli("reception", "show", number, env=env)
        if "housing-dept" in shown.stdout and "routed" in shown.stdout:
            break
        await asyncio.sleep(0.2)
    assert shown.returncode == 0 and f"{number}-1" in shown.stdout and "routed" in shown.stdout, shown.stdout
    report = await cli("reception", "report", env=env)
    assert report.returncode == 0 and "medeu" in report.stdout


async def document(engine: Any, key: str) -> Any:
    """The registry's document `key`, waiting for a report workflow to write it."""
    from sqlmodel import Session, select

    from models.registry import DocumentRecord

    for _ in range(200):
        with Session(engine) as s:
            doc = s.exec(select(DocumentRecord).where(DocumentRecord.key == key)).first()
        if doc:
            return doc
        await asyncio.sleep(0.1)
    raise AssertionError(f"no document {key}")


async def test_half_year_schedule_produces_a_report(
    dev_env: WorkflowEnvironment, tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import Session

    from analysis.scope import half_year_of
    from models.notices import HalfYearRequest
    from policies.calendar import local_zone
    from tests.test_instruction import instruction_dict
    from tooling.schedules import HALF_YEAR_SCHEDULE_ID, ensure_half_year_schedule
    from workflows.instruction import InstructionWorkflow

    monkeypatch.setenv("APPEALS_REPORTS_DIR", str(tmp_path / "reports"))
    engine = served.engine
    client = dev_env.client
    now = await dev_env.get_current_time()
    await client.start_workflow(
        InstructionWorkflow.run,
        await registration(client, instruction_dict("PRI-2026-000777", now)),
        id="PRI-2026-000777",
        task_queue=TASK_QUEUE,
    )
    assert await ensure_half_year_schedule(client, TASK_QUEUE) is True
    assert await ensure_half_year_schedule(client, TASK_QUEUE) is False  # idempotent
    description = await client.get_schedule_handle(HALF_YEAR_SCHEDULE_ID).describe()
    assert description.schedule.spec.time_zone_name == "Asia/Almaty"
    for _ in range(50):  # the instruction's card is in the registry before the report runs
        with Session(engine) as s:
            if s.get(CaseRecord, "PRI-2026-000777"):
                break
        await asyncio.sleep(0.1)
    await client.get_schedule_handle(HALF_YEAR_SCHEDULE_ID).trigger()
    # A run on any day but 30 June or 31 December reports on the half-year that ended before it.
    previous = half_year_of(now.astimezone(local_zone()).date())
    doc = await document(engine, f"half-year-{previous.start.isoformat()}-{previous.end.isoformat()}-ru")
    assert doc.kind == "half_year_report" and "PRI-2026-000777" not in doc.body  # registered after it
    # The half-year the instruction was registered in, asked for by its last day, lists it.
    current = half_year_of(previous.end + timedelta(days=200))
    await client.execute_workflow(
        "HalfYearReportWorkflow",
        HalfYearRequest(current.end.isoformat()),
        id=f"half-year-{current.end.isoformat()}",
        task_queue=TASK_QUEUE,
    )
    for language in ("ru", "kk"):
        doc = await document(engine, f"half-year-{current.start.isoformat()}-{current.end.isoformat()}-{language}")
        assert "PRI-2026-000777" in doc.body and 'id="instruction-rows"' in doc.body
        assert Path(doc.path).exists() and 'id="chart-volumes"' in Path(doc.path).read_text(encoding="utf-8")


async def test_instruction_by_cli(dev_env: WorkflowEnvironment, tmp_path: Path, served: Served) -> None:
    from datetime import timedelta

    env = served.as_user("reg-1", "registrar")
    term = ((await dev_env.get_current_time()).date() + timedelta(days=20)).isoformat()
    made = await cli(
        "instruction",
        "register",
        "--issuer",
        "president",
        "--issuer-official",
        "Глава государства",
        "--text",
        "Решить вопрос подтопления",
        "--first-term",
        term,
        "--executor",
        "housing-dept",
        "--executor",
        "roads-dept",
        env=env,
    )
    number = printed_number(made)
    steps = [  # each step as its user, logged in (the --actor option is only checked against the login)
        ("report", number, "--actor", "roads-dept", "--text", "Работы начаты"),
        ("extend", number, "--actor", "roads-dept", "--new-term", "2099-01-01", "--reason", "экспертиза"),
        (
            "decide-extension",
            number,
            "--actor",
            "ctl-1",  # records the President's decision from its document (issue 21)
            "--refuse",
            "--reason",
            "нет оснований",
            "--document",
            "12-34",
            "--document-date",
            (await dev_env.get_current_time()).date().isoformat(),
        ),
        ("consolidate", number, "--actor", "housing-dept", "--text", "Свод: выполнено"),
        ("lift", number, "--actor", "ctl-1", "--conclusion", "Исполнено в срок"),
    ]
    roles = {"roads-dept": "executor", "issuer-1": "issuer", "housing-dept": "executor", "ctl-1": "controller"}
    for step in steps:
        user = step[3]
        for _ in range(50):  # the first step waits for the executors to be assigned
            done = await cli("instruction", *step, env=served.as_user(user, roles[user]))
            if done.returncode == 0 or "assigned" not in done.stderr:
                break
            await asyncio.sleep(0.2)
        assert done.returncode == 0, (step, done.stderr)
    refused = await cli("instruction", "report", number, "--text", "x", env=served.as_user("roads-dept", "executor"))
    assert refused.returncode == 1 and "closed" in refused.stderr
    shown = await cli("instruction", "show", number, env=env)
    assert "closed" in shown.stdout and "roads-dept" in shown.stdout and "control_lifted" in shown.stdout


async def audit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "starter.py", "audit", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


async def test_audit_export_replay_trail_and_compliance(
    dev_env: WorkflowEnvironment, tmp_path: Path, served: Served
) -> None:
    from sqlmodel import Session

    from models.registry import EventRecord
    from tests.scenario import approve_and_deliver, move, sealed

    engine, env = served.engine, served.env
    client = dev_env.client
    numbers = []
    for _ in range(2):
        appeal = appeal_dict()
        sealed_appeal = await registration(client, appeal)
        handle = await client.start_workflow(
            "AppealWorkflow", sealed_appeal, id=appeal["reg_number"], task_queue=TASK_QUEUE
        )
        numbers.append(handle.id)
        for _ in range(50):
            if (await handle.query("status", result_type=CaseStatus)).state == "routed":
                break
            await asyncio.sleep(0.1)
        await move(handle, "accept", "housing-dept", "executor")
        await handle.signal(
            "approve", await sealed(handle, "approve", {"actor": {"id": "head-1", "role": "head"}})
        )  # refused: not answered
        await answer(handle, "housing-dept", "Ответ")
        await approve_and_deliver(handle)
        await handle.result()
    exported = tmp_path / "histories"
    for _ in range(50):  # visibility is eventually consistent
        listed = [w.id async for w in client.list_workflows("CaseKind = 'appeal' AND CaseState = 'closed'")]
        if len(listed) == 2:
            break
        await asyncio.sleep(0.2)
    done = await audit(
        "export", "--query", "CaseKind = 'appeal' AND CaseState = 'closed'", "--out", str(exported), env=env
    )
    assert done.returncode == 0 and "exported 2" in done.stdout, done.stderr
    replayed = await audit("replay", str(exported), env=env)
    assert replayed.returncode == 0 and "2 clean, 0 failed" in replayed.stdout, replayed.stdout + replayed.stderr
    page = tmp_path / "trail.html"
    trail = await audit("trail", "--workflow", numbers[0], "--html", str(page), env=env)
    assert trail.returncode == 0, trail.stdout + trail.stderr
    text = page.read_text(encoding="utf-8")
    assert "submit_answer" in text and "refused" in text and "head-1" in text and "term set to" in text
    assert "The registry&#39;s events match the history" in text or "match the history" in text
    compliant = await audit("compliance", env=env)
    assert compliant.returncode == 0, compliant.stdout + compliant.stderr
    with Session(engine) as s:  # tamper with the registry: an event no workflow wrote, by a wrong role
        s.add(
            EventRecord(
                reg_number=numbers[0],
                key="move-99",
                seq=99,
                trigger="approve",
                actor_id="x",
                actor_role="executor",
                from_state="answered",
                to_state="closed",
                at="2026-01-01",
            )
        )
        s.add(
            CaseRecord(
                reg_number="APL-2026-99999999",
                kind="appeal",
                appeal_type="application",
                received_at="2026-01-01T10:00:00+05:00",
            )
        )
        s.commit()
    trail = await audit("trail", "--workflow", numbers[0], env=env)
    assert trail.returncode == 1 and "move-99" in trail.stdout
    found = await audit("compliance", env=env)
    assert found.returncode == 1
    assert "move by a role the policy does not allow" in found.stdout and "APL-2026-99999999" in found.stdout
    broken = next(exported.glob("*.json"))
    history = json.loads(broken.read_text(encoding="utf-8"))
    for event in history["events"]:  # the first activity renamed: a local activity's marker
        marker = event.get("markerRecordedEventAttributes", {})
        if marker.get("markerName") == LOCAL_ACTIVITY_MARKER:
            payload = marker["details"]["data"]["payloads"][0]
            data = base64.b64decode(payload["data"]).replace(b'"activity_type":"', b'"activity_type":"renamed_')
            payload["data"] = base64.b64encode(data).decode()
            break
    broken.write_text(json.dumps(history), encoding="utf-8")
    failed = await audit("replay", str(exported), env=env)
    assert failed.returncode == 1 and "1 failed" in failed.stdout and "ondeterminism" in failed.stdout


async def test_the_cli_without_the_key_moves_through_the_codec_server(
    dev_env: WorkflowEnvironment, tmp_path: Path, served: Served
) -> None:
    """Production CLI: no codec key on the host. It logs in at the codec server and sends every
    payload there to be encoded; the codec server seals the moves for the logged-in user."""
    import threading

    import web.serve as codec_server
    from tooling.users import add_user

    add_user(served.engine, "u.remote", "У. Удалённый", ["executor"], "akimat-almaly", "long enough password")
    server = codec_server.serve(0, ("http://127.0.0.1:8233",), engine=served.engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    no_key = tmp_path / "no-key-here.json"
    env = dict(
        served.env,
        APPEALS_CODEC_URL=f"http://127.0.0.1:{server.server_address[1]}",
        APPEALS_SESSION_FILE=str(tmp_path / "remote-session.json"),
        APPEALS_CODEC_KEY_FILE=str(no_key),
    )
    try:
        data = appeal_dict(category="roads", district="almaly")
        number = data["reg_number"]
        sealed_data = await registration(dev_env.client, data)
        handle = await dev_env.client.start_workflow("AppealWorkflow", sealed_data, id=number, task_queue=TASK_QUEUE)
        for _ in range(100):
            if (await handle.query("status", result_type=CaseStatus)).state == "routed":
                break
            await asyncio.sleep(0.1)
        wrong = await cli("login", "u.remote", env=env, stdin="not the password\n")
        assert wrong.returncode == 1 and "log-in refused" in wrong.stderr
        logged = await cli("login", "u.remote", env=env, stdin="long enough password\n")
        assert logged.returncode == 0, logged.stderr
        moved = await cli("move", number, "accept", env=env)
        assert moved.returncode == 0, moved.stderr
        claimed = await cli("move", number, "approve", "--role", "head", env=env)
        assert claimed.returncode == 1 and "does not hold the role 'head'" in claimed.stderr
    finally:
        server.shutdown()
    status = await handle.query("status", result_type=CaseStatus)
    accepted = status.history[-1]
    assert (accepted.trigger, accepted.actor_id, accepted.auth) == ("accept", "u.remote", "cli")
    assert not no_key.exists()  # the CLI never needed (nor made) a key


async def test_report_schedules_exist_once_and_produce_reports(
    dev_env: WorkflowEnvironment, tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monthly district cards and the weekly digest are Temporal Schedules (the Web UI's
    Schedules page shows and pauses them), created once however often a worker starts."""
    from tests.planted import seed_registry
    from tooling.schedules import REPORT_SCHEDULES, ensure_report_schedules

    monkeypatch.setenv("APPEALS_REPORTS_DIR", str(tmp_path / "reports"))
    seed_registry(served.engine, "ru")
    client = dev_env.client
    assert await ensure_report_schedules(client, TASK_QUEUE) == [s.schedule_id for s in REPORT_SCHEDULES]
    assert await ensure_report_schedules(client, TASK_QUEUE) == []  # idempotent
    for entry in REPORT_SCHEDULES:
        description = await client.get_schedule_handle(entry.schedule_id).describe()
        assert description.schedule.spec.time_zone_name == "Asia/Almaty"
        await client.get_schedule_handle(entry.schedule_id).pause(note="test: paused from the client")
        assert (await client.get_schedule_handle(entry.schedule_id).describe()).schedule.state.paused
        await client.get_schedule_handle(entry.schedule_id).unpause()
    cards = client.get_schedule_handle("district-problem-cards-monthly")
    await cards.trigger()
    now = await dev_env.get_current_time()
    from activities.reports import scope_of
    from models.notices import ReportRequest

    month = scope_of(ReportRequest("district", "ru", "", now.isoformat()))
    for district in ("almaly", "nauryzbay"):
        for language in ("ru", "kk"):
            key = f"district-{district}-{month.start.isoformat()}-{month.end.isoformat()}-{language}"
            doc = await document(served.engine, key)
            assert doc.kind == "report_district" and 'id="chart-volumes"' in doc.body


async def test_the_cli_makes_any_kind_s_move_with_its_own_details(dev_env: WorkflowEnvironment, served: Served) -> None:
    """Issue 21: `starter.py move` checked every payload against the appeal's table, so an
    instruction's `assign` with details was refused before it was sent ("'assign' takes no details")."""
    from tests.scenario import until_state
    from tests.test_instruction import instruction_dict, new_number

    client = dev_env.client
    number = new_number()
    data = instruction_dict(number, await dev_env.get_current_time(), executors=[])
    handle = await client.start_workflow(
        "InstructionWorkflow", await registration(client, data), id=number, task_queue=TASK_QUEUE
    )
    await until_state(handle, "registered")
    details = json.dumps({"executors": ["housing-dept", "utilities-dept"]})
    moved = await cli("move", number, "assign", "--details", details, env=served.as_user("ctl-1", "controller"))
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert f"{number}: routed" in moved.stdout
    wrong = await cli("move", number, "accept", "--details", details, env=served.as_user("ctl-1", "controller"))
    assert wrong.returncode != 0 and "'accept'" in wrong.stderr + wrong.stdout  # the instruction's table answers
    bad = await cli("move", "XYZ-1", "accept", env=served.as_user("ctl-1", "controller"))
    assert bad.returncode != 0 and "not a case number" in bad.stderr + bad.stdout
