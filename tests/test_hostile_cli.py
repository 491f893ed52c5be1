"""A hostile client with nothing but the real `temporal` CLI against the dev server (with the
server limits of temporal-dev.yaml): forged encodings, garbage, internal signal names, a closed
number started again, and a flood of the largest payloads the server accepts. No workflow task
may fail, and the case must keep moving."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.client import RPCError, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.case_status import CaseStatus
from models.registry import CaseRecord
from runtime import search_attributes as sa
from tests.conftest import Served
from tests.factories import appeal_dict
from tests.scenario import move, registration, sealed, until_state
from tooling.client import TASK_QUEUE

TEMPORAL = str(Path(sys.executable).parent / "temporal")


async def temporal(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    address = env.client.service_client.config.target_host
    return await asyncio.to_thread(
        subprocess.run, [TEMPORAL, *args, "--address", address], capture_output=True, text=True, timeout=60
    )


async def task_failures(env: WorkflowEnvironment, number: str, run_id: str = "") -> int:
    """EVENT_TYPE_WORKFLOW_TASK_FAILED in `temporal workflow show -o json`, as an operator counts
    them, except UNHANDLED_COMMAND: the server's own refusal of a continue-as-new while signals
    keep arriving (the task is retried with them; nothing of ours failed), and RESET_WORKFLOW: the
    server's record of a reset itself."""
    shown = await temporal(env, "workflow", "show", "-w", number, *(["-r", run_id] if run_id else []), "-o", "json")
    assert shown.returncode == 0, shown.stderr
    failed = [e for e in json.loads(shown.stdout)["events"] if e["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_FAILED"]
    causes = [e.get("workflowTaskFailedEventAttributes", {}).get("cause", "") for e in failed]
    servers_own = ("WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND", "WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW")
    return sum(cause not in servers_own for cause in causes)


async def status(env: WorkflowEnvironment, number: str) -> CaseStatus:
    return await env.client.get_workflow_handle(number).query("status", result_type=CaseStatus)


async def until_routed(env: WorkflowEnvironment, number: str) -> CaseStatus:
    return await until_state(env.client.get_workflow_handle(number), "routed")


async def refusals(env: WorkflowEnvironment, number: str, count: int) -> CaseStatus:
    for _ in range(200):
        st = await status(env, number)
        if len(st.refusals) + st.refusals_dropped >= count:
            return st
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} refusals never recorded")


CONTROLLER = {"id": "c", "role": "controller"}  # claimed, never sealed: every one of these is refused
HEAD = {"id": "h", "role": "head"}


async def registered(
    env: WorkflowEnvironment, *, routed: bool = False
) -> tuple[dict[str, Any], WorkflowHandle[Any, Any]]:
    """An appeal registered on the dev server (sealed by the tests' registrar), routed if asked:
    its input and handle."""
    data = appeal_dict()
    handle = await env.client.start_workflow(
        "AppealWorkflow", await registration(env.client, data), id=data["reg_number"], task_queue=TASK_QUEUE
    )
    if routed:
        await until_routed(env, handle.id)
    return data, handle


def signal(name: str, payload: dict[str, Any]) -> list[str]:
    """`temporal workflow signal`'s arguments for a signal with this JSON payload."""
    return ["--name", name, "--input", json.dumps(payload, ensure_ascii=False)]


async def test_garbage_from_the_temporal_cli_is_refused_and_recorded(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data, handle = await registered(dev_env, routed=True)
    number = handle.id
    attacks: list[list[str]] = [
        ["--name", "accept", "--input", '"garbage"', "--input-meta", "encoding=binary/encrypted"],
        ["--name", "accept", "--input", '"garbage"'],
        signal("accept", {"actor": {"id": "housing-dept", "role": "executor"}, "details": {"x": 1}}),
        ["--name", "accept", "--input", "[" * 3000 + "]" * 3000],
        ["--name", "accept", "--input", "{}", "--input", "{}"],
        signal("instruction_update", {"reg_number": ["x"], "state": "closed"}),
        signal("approve", {"actor": HEAD, "answer_text": "\u0000"}),
        ["--name", "__temporal_workflow_metadata", "--input", "{}"],
        # Table v6's typed subjects (issue 22): disagreeing with the flat field, of the wrong type, not a date.
        signal("reassign", {"actor": CONTROLLER, "target": "a", "details": {"executor": "b"}}),
        signal("reassign", {"actor": CONTROLLER, "details": {"executor": 5}}),
        signal(
            "extend_deadline",
            {"actor": HEAD, "reason": "r", "details": {"new_deadline": "2099-13-45"}},
        ),
        signal("approve_proposal", {"actor": HEAD, "details": {"proposal": []}}),
        # Table v2's moves (issue 9), with garbage where their details and targets go.
        signal("forward_part", {"actor": CONTROLLER, "target": "x", "reason": "r"}),
        signal("forward_part", {"actor": CONTROLLER, "details": {"questions": 7}}),
        signal("terminate_consideration", {"actor": CONTROLLER, "details": {}}),
        signal("leave_without_consideration", {"actor": CONTROLLER, "details": {"ground": "bored"}}),
        signal("consider_as_new", {"actor": CONTROLLER, "reason": "r"}),
        signal(
            "extend_deadline",
            {"actor": {"id": "h", "role": "deputy_head"}, "new_deadline": "2099-01-01", "reason": "r"},
        ),
        signal("forward", {"actor": CONTROLLER, "target": "Минтруда", "reason": "r"}),
    ]
    for attack in attacks:
        sent = await temporal(dev_env, "workflow", "signal", "-w", number, *attack)
        assert sent.returncode == 0, (attack, sent.stderr)
    update = await temporal(
        dev_env, "workflow", "update", "execute", "-w", number, "--name", "transition", "--input", "[1, 2]"
    )
    assert update.returncode != 0 and "payload: must be a JSON object" in update.stderr + update.stdout
    assert "Traceback" not in update.stderr + update.stdout
    st = await refusals(dev_env, number, len(attacks))
    assert st.state == "routed" and [h.trigger for h in st.history] == ["route"]
    handle = dev_env.client.get_workflow_handle(number)  # a logged-in executor's sealed move still counts
    await handle.signal("accept", await sealed(handle, "accept", {"actor": {"id": "housing-dept", "role": "executor"}}))
    for _ in range(100):
        if (await status(dev_env, number)).state == "under_consideration":
            break
        await asyncio.sleep(0.05)
    assert (await status(dev_env, number)).state == "under_consideration"
    assert await task_failures(dev_env, number) == 0


async def test_garbage_on_the_delivery_moves_from_the_temporal_cli_leaves_an_approved_answer_waiting(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """Table v7 (issue 24): an approved answer waits for its delivery. The internal `delivery_news`
    with anything in it, an unsealed `record_delivery` (the case's own move), `mark_posted` and
    `resend_notice` claimed by anyone, and forged encodings: none closes the case or fails a task."""
    _, handle = await registered(dev_env, routed=True)
    number = handle.id
    await move(handle, "accept", "housing-dept", "executor")
    await move(
        handle, "submit_answer", "housing-dept", "executor", answer_text="Сделано.", answer_character="satisfied"
    )
    approved = await move(handle, "approve", "head-1", "head")
    letter = approved.appeal.answer_letter
    news = [
        ["--name", "delivery_news", "--input", '"delivered"'],
        ["--name", "delivery_news", "--input", '{"status": "delivered", "at": "2020-01-01T00:00:00+00:00"}'],
        ["--name", "delivery_news", "--input", '"garbage"', "--input-meta", "encoding=binary/encrypted"],
        ["--name", "delivery_news", "--input", "[" * 3000 + "]" * 3000],
    ]
    moves = [
        signal("record_delivery", {"actor": HEAD}),
        signal("mark_posted", {"actor": CONTROLLER, "details": {"notice": letter, "tracking": "RA1"}}),
        signal("mark_posted", {"actor": CONTROLLER, "details": {"notice": letter, "tracking": ["x"]}}),
        signal("resend_notice", {"actor": CONTROLLER, "details": {"notice": letter, "address": "x@y.kz"}}),
    ]
    for attack in news + moves:
        sent = await temporal(dev_env, "workflow", "signal", "-w", number, *attack)
        assert sent.returncode == 0, (attack, sent.stderr)
    update = await temporal(
        dev_env, "workflow", "update", "execute", "-w", number, "--name", "transition",
        "--input", json.dumps({"case": number, "trigger": "record_delivery", "actor": HEAD}),
    )  # fmt: skip
    assert update.returncode != 0 and "Traceback" not in update.stderr + update.stdout
    st = await refusals(dev_env, number, len(approved.refusals) + len(moves))
    assert (st.state, st.appeal.delivery, st.appeal.delivered_at) == ("answered", "queued", "")
    assert [h.trigger for h in st.history][-1] == "approve"
    assert await task_failures(dev_env, number) == 0


async def test_a_closed_number_started_again_from_the_cli_is_refused(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data, handle = await registered(dev_env, routed=True)
    number = handle.id
    await move(handle, "withdraw", "reg-1", "registrar", reason="отозвано")
    await handle.result()
    again = await temporal(
        dev_env,
        "workflow",
        "start",
        "--type",
        "AppealWorkflow",
        "--task-queue",
        TASK_QUEUE,
        "-w",
        number,
        "--id-reuse-policy",
        "AllowDuplicate",
        "--input",
        json.dumps(data, ensure_ascii=False),
    )
    assert again.returncode == 0, again.stderr
    second = dev_env.client.get_workflow_handle(number)
    with pytest.raises(Exception) as refused:
        await second.result()
    # Refused at the seal (issue 20): a plain start never reaches the registry's once-only check.
    assert "registration refused: not sealed" in str(getattr(refused.value, "cause", refused.value))
    with Session(served.engine) as session:
        card = session.get(CaseRecord, number)
        assert card is not None and card.state == "closed" and card.closure_reason == "withdrawn"


async def test_a_hundred_refused_signals_of_the_largest_size_leave_the_case_healthy(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    data, handle = await registered(dev_env)
    number = handle.id
    first_run = handle.first_execution_run_id
    await until_routed(dev_env, number)
    largest: Any = {"actor": {"id": "auditor-1", "role": "auditor"}, "answer_text": "я" * 40_000}  # ~240 KB as sent
    with pytest.raises(RPCError) as too_big:  # past the blob limit the server refuses it: nothing enters history
        await handle.signal("submit_answer", {**largest, "answer_text": "я" * 50_000})
    assert "size" in str(too_big.value).lower() or "limit" in str(too_big.value).lower()
    for _ in range(100):
        await handle.signal("submit_answer", largest)
    st = await refusals(dev_env, number, 100)
    assert all("too large" in r.message for r in st.refusals[-5:])
    described = await handle.describe()
    assert described.status is not None and described.status.name == "RUNNING"
    st = await move(handle, "accept", "housing-dept", "executor")
    assert st.state == "under_consideration"
    history = await dev_env.client.get_workflow_handle(number).fetch_history()
    size = sum(e.ByteSize() for e in history.events)
    assert size < 30_000_000  # far from the 50 MB limit
    assert first_run is not None and await task_failures(dev_env, number, first_run) == 0
    assert await task_failures(dev_env, number) == 0


async def test_the_impersonation_reproduction_is_refused(dev_env: WorkflowEnvironment, served: Served) -> None:
    """Issue 10's reproduction with nothing but the `temporal` CLI: an Update accepting as the
    executor, a made-up answer, and `approve` signalled as "anyone"/head. None counts; each is
    refused with a plain reason (the signals are recorded with who tried); no letter goes out."""
    from sqlmodel import select

    from models.registry import EventRecord, NotificationRecord

    data = appeal_dict(category="utilities")
    number = data["reg_number"]
    await dev_env.client.start_workflow(
        "AppealWorkflow", await registration(dev_env.client, data), id=number, task_queue=TASK_QUEUE
    )
    await until_routed(dev_env, number)
    accept = '{"trigger":"accept","actor":{"id":"utilities-dept","role":"executor"}}'
    update = await temporal(
        dev_env, "workflow", "update", "execute", "-w", number, "--name", "transition", "--input", accept
    )
    assert update.returncode != 0 and "move not authenticated" in update.stderr + update.stdout
    answer = (
        '{"actor":{"id":"utilities-dept","role":"executor"},"answer_text":"Всё сделано","answer_character":"satisfied"}'
    )
    forged_seal = (
        '{"actor":{"id":"anyone","role":"head"},"seal":{"id":"anyone","name":"x","role":"head","unit":"",'
        '"method":"ui_session","issued_at":"2026-11-25T00:00:00+00:00"}}'
    )
    for name, body, meta in (
        ("submit_answer", answer, []),
        ("approve", '{"actor": {"id": "anyone", "role": "head"}}', []),
        ("approve", forged_seal, ["--input-meta", "appeals-sealed=1"]),
    ):
        sent = await temporal(dev_env, "workflow", "signal", "-w", number, "--name", name, "--input", body, *meta)
        assert sent.returncode == 0, sent.stderr
    st = await refusals(dev_env, number, 3)
    assert st.state == "routed" and [h.trigger for h in st.history] == ["route"]
    assert [r.actor_id for r in st.refusals] == ["utilities-dept", "anyone", "anyone"]
    assert all("not authenticated" in r.message or "not sealed" in r.message for r in st.refusals)
    with Session(served.engine) as s:
        events = [e.trigger for e in s.exec(select(EventRecord).where(EventRecord.reg_number == number))]
        letters = [
            n.template for n in s.exec(select(NotificationRecord).where(NotificationRecord.reg_number == number))
        ]
    assert events == ["register", "route"] and "answer_letter" not in letters
    assert await task_failures(dev_env, number) == 0


async def test_a_move_encoded_by_the_codec_server_for_a_logged_in_user_counts(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """What the Web UI does: the input goes through the codec server's /encode with the session
    cookie, then the encoded payload is sent as the signal. The move counts, as that user."""
    import threading
    import urllib.request

    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payload
    from temporalio.client import Client
    from temporalio.common import RawValue

    import web.serve as codec_server
    from tooling.client import data_converter
    from tooling.users import add_user

    add_user(served.engine, "u.akhmetova", "У. Ахметова", ["executor"], "utilities-dept", "long enough password")
    server = codec_server.serve(0, ("http://127.0.0.1:8233",), engine=served.engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        from tests.test_identity import form_login

        code, _, cookies = form_login(base, "u.akhmetova", "long enough password")  # the log-in page, as a browser
        assert code == 200
        cookie = next(c.split(";")[0] for c in cookies if c.startswith("appeals_session="))
        data = appeal_dict(category="utilities")
        number = data["reg_number"]
        await dev_env.client.start_workflow(
            "AppealWorkflow", await registration(dev_env.client, data), id=number, task_queue=TASK_QUEUE
        )
        await until_routed(dev_env, number)
        # The UI's data box: the case card's payload, which names the case and the move (a seal binds both).
        move_ = json.dumps({"case": number, "trigger": "accept"}).encode()
        plain = Payload(metadata={"encoding": b"json/plain"}, data=move_)
        body = json.dumps({"payloads": [json.loads(json_format.MessageToJson(plain))]}).encode()
        headers = {"Content-Type": "application/json", "Origin": "http://127.0.0.1:8233", "Cookie": cookie}
        request = urllib.request.Request(f"{base}/encode", data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request) as r:
            encoded = json_format.ParseDict(json.loads(r.read())["payloads"][0], Payload())
    finally:
        server.shutdown()
    config = dev_env.client.config()
    config["data_converter"] = data_converter(encrypt=False)  # the browser holds no key
    await Client(**config).get_workflow_handle(number).signal("accept", RawValue(encoded))
    for _ in range(300):
        st = await status(dev_env, number)
        if st.state == "under_consideration":
            break
        await asyncio.sleep(0.05)
    assert st.state == "under_consideration", st.refusals
    accepted = st.history[-1]
    assert (accepted.trigger, accepted.actor_id, accepted.actor_name, accepted.auth) == (
        "accept",
        "u.akhmetova",
        "У. Ахметова",
        "ui_session",
    )
    assert await task_failures(dev_env, number) == 0


async def test_the_temporal_cli_cannot_register_or_replay_a_seal_onto_another_case(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """Issue 20 (attacks 1, 2, 7) with the real `temporal` CLI and no key: a start with plain JSON,
    one with a typed seal and forged search attributes, and the bytes of case A's sealed Update
    (as `workflow show -o json` prints them) sent to case B. Nothing registers, B does not move,
    and no workflow task fails."""
    plain = appeal_dict(received_at="2026-09-01T09:00:00+00:00")
    typed = appeal_dict()
    typed["seal"] = {"id": "reg-1", "role": "registrar", "method": "cli", "issued_at": "2026-12-02T00:00:00+00:00"}
    for data, extra in ((plain, []), (typed, ["--search-attribute", 'CaseState="routed"'])):
        number = data["reg_number"]
        started = await temporal(
            dev_env, "workflow", "start", "--type", "AppealWorkflow", "--task-queue", TASK_QUEUE, "-w", number,
            "--input", json.dumps(data, ensure_ascii=False), *extra,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        handle = dev_env.client.get_workflow_handle(number)
        for _ in range(200):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.05)
        description = await handle.describe()
        assert description.status == WorkflowExecutionStatus.FAILED
        assert description.typed_search_attributes.get(sa.CASE_STATE) == "refused_registration"
        assert await task_failures(dev_env, number) == 0
        with Session(served.engine) as s:
            assert s.get(CaseRecord, number) is None
    a, b = appeal_dict(category="housing"), appeal_dict(category="housing")
    for data in (a, b):
        await dev_env.client.start_workflow(
            "AppealWorkflow", await registration(dev_env.client, data), id=data["reg_number"], task_queue=TASK_QUEUE
        )
        await until_routed(dev_env, data["reg_number"])
    await move(dev_env.client.get_workflow_handle(a["reg_number"]), "accept", "housing-dept", "executor")
    shown = await temporal(dev_env, "workflow", "show", "-w", a["reg_number"], "-o", "json")
    accepted = next(
        e
        for e in json.loads(shown.stdout)["events"]
        if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
    )
    payload = accepted["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["args"][
        "payloads"
    ][0]
    meta = [f"{key}={base64.b64decode(value).decode()}" for key, value in payload["metadata"].items()]
    copied = await temporal(
        dev_env, "workflow", "signal", "-w", b["reg_number"], "--name", "accept",
        "--input", payload["data"], "--input-base64", *sum((["--input-meta", m] for m in meta), []),
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    st = await refusals(dev_env, b["reg_number"], 1)
    assert st.state == "routed" and "seal made for another case or move" in st.refusals[0].message
    assert st.refusals[0].actor_id == "housing-dept"  # who the seal names
    assert await task_failures(dev_env, b["reg_number"]) == 0


async def test_temporal_workflow_cancel_does_not_close_a_case(dev_env: WorkflowEnvironment, served: Served) -> None:
    """Issue 20 (attack 3): `temporal workflow cancel` (the Web UI's Request Cancellation) is refused."""
    data = appeal_dict(category="housing")
    number = data["reg_number"]
    await dev_env.client.start_workflow(
        "AppealWorkflow", await registration(dev_env.client, data), id=number, task_queue=TASK_QUEUE
    )
    await until_routed(dev_env, number)
    cancelled = await temporal(dev_env, "workflow", "cancel", "-w", number)
    assert cancelled.returncode == 0, cancelled.stderr
    for _ in range(200):
        st = await status(dev_env, number)
        if st.outside_interventions:
            break
        await asyncio.sleep(0.05)
    assert st.outside_interventions and st.state == "routed"
    description = await dev_env.client.get_workflow_handle(number).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.typed_search_attributes.get(sa.CASE_ATTENTION) is True
    assert await task_failures(dev_env, number) == 0
    await move(dev_env.client.get_workflow_handle(number), "accept", "housing-dept", "executor")  # goes on


async def test_compliance_lists_what_was_done_to_cases_outside_the_engine(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """Issue 20 (attacks 2, 3): an unsealed start, a cancellation and a termination, each made with
    the real `temporal` CLI, are findings of `starter.py audit compliance`."""
    unsealed = appeal_dict()
    started = await temporal(
        dev_env, "workflow", "start", "--type", "AppealWorkflow", "--task-queue", TASK_QUEUE,
        "-w", unsealed["reg_number"], "--input", json.dumps(unsealed, ensure_ascii=False),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    cancelled, terminated = appeal_dict(category="housing"), appeal_dict(category="housing")
    for data in (cancelled, terminated):
        await dev_env.client.start_workflow(
            "AppealWorkflow", await registration(dev_env.client, data), id=data["reg_number"], task_queue=TASK_QUEUE
        )
        await until_routed(dev_env, data["reg_number"])
    assert (await temporal(dev_env, "workflow", "cancel", "-w", cancelled["reg_number"])).returncode == 0
    done = await temporal(dev_env, "workflow", "terminate", "-w", terminated["reg_number"], "--reason", "by hand")
    assert done.returncode == 0, done.stderr
    expected = [
        f"{unsealed['reg_number']}: registration refused",
        f"{cancelled['reg_number']}: intervention outside the engine",
        f"{terminated['reg_number']}: closed outside the engine: terminated",
    ]
    for _ in range(100):  # visibility is eventually consistent
        run = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "starter.py", "audit", "compliance"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=120,
            env=served.env,
        )
        if all(line in run.stdout for line in expected):
            break
        await asyncio.sleep(0.3)
    assert all(line in run.stdout for line in expected), run.stdout + run.stderr
    assert run.returncode == 1 and "Traceback" not in run.stderr


async def test_garbage_slots_from_the_temporal_cli_leave_a_reception_as_it_was(
    dev_env: WorkflowEnvironment, served: Served
) -> None:
    """Reception table v3 (issue 23): a schedule's slot as text, negative, huge, a float; the
    participants as text; an unsealed earliest-free booking; an Update of garbage. All refused and
    recorded, no slot taken, no workflow task failed; then the registrar's sealed move books."""
    from activities.receptions import create_slots, list_slots
    from tests.test_reception import next_number, reception_day, reception_dict

    now = await dev_env.get_current_time()
    day = reception_day(now, after_days=4, official="apparatus-head")
    free = create_slots(served.engine, "apparatus-head", day, "10:00", "10:30", 30)[0]
    number = next_number()
    data = reception_dict(number, now, requested_official="apparatus-head")
    handle = await dev_env.client.start_workflow(
        "ReceptionWorkflow", await registration(dev_env.client, data), id=number, task_queue=TASK_QUEUE
    )
    registrar = {"id": "r", "role": "registrar"}
    attacks = [
        signal("schedule", {"actor": registrar, "details": {"slot_id": "abc", "participants": []}}),
        signal("schedule", {"actor": registrar, "details": {"slot_id": -1, "participants": []}}),
        signal("schedule", {"actor": registrar, "details": {"slot_id": 10**30, "participants": []}}),
        signal("schedule", {"actor": registrar, "details": {"slot_id": 1.5, "participants": []}}),
        signal("schedule", {"actor": registrar, "details": {"participants": "everyone"}}),
        signal("schedule", {"actor": registrar, "details": {"participants": []}}),  # unsealed
        signal("schedule", {"actor": registrar, "target": "0", "details": {"slot_id": 7, "participants": []}}),
    ]
    for attack in attacks:
        sent = await temporal(dev_env, "workflow", "signal", "-w", number, *attack)
        assert sent.returncode == 0, (attack, sent.stderr)
    update = await temporal(
        dev_env, "workflow", "update", "execute", "-w", number, "--name", "transition",
        "--input", json.dumps({"trigger": "schedule", "actor": registrar, "details": {"slot_id": "x"}}),
    )  # fmt: skip
    assert update.returncode != 0 and "details.slot_id" in update.stderr + update.stdout
    st = await refusals(dev_env, number, len(attacks))
    assert st.state == "registered" and st.reception.slot is None
    assert {s.slot_id: owner for s, owner in list_slots(served.engine, "apparatus-head", day)}[free.slot_id] == ""
    st = await move(handle, "schedule", "reg-1", "registrar", details={"participants": []})  # the earliest free
    assert st.state == "routed" and st.reception.slot is not None and st.reception.slot.slot_id == free.slot_id
    assert await task_failures(dev_env, number) == 0
