"""Record the replay corpus: run each main path on the time-skipping server, save its history.

    .venv/bin/python -m tests.record_histories        # rewrites tests/histories/*.json

Files are named `<path>__<workflow id>.json` (replay needs the original workflow id).
Record new histories when adding a path; never re-record to make a failing replay pass: a
replay failure means the change would break running workflows (use workflow.patched).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.registry import make_engine
from runtime.registration import register_search_attributes
from tests import factories
from tests.scenario import answer, approve_and_deliver, hand_over, move, refused, registration, sealed, status
from tooling.client import data_converter
from tooling.seal import seal_as_named
from worker import build_worker
from workflows.appeal import AppealWorkflow

OUT = Path(__file__).resolve().parent / "histories"
os.environ.setdefault("APPEALS_CODEC_KEY_FILE", str(Path(__file__).resolve().parent / "codec-test-key.json"))
os.environ.setdefault("APPEALS_SEAL_KEY_FILE", str(Path(__file__).resolve().parent / "seal-test-key.json"))
Handle = WorkflowHandle[Any, Any]


async def happy(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Ремонт в мае.", "satisfied")
    await approve_and_deliver(h)


async def forwarded(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "forward", "reg-1", "registrar", target="ministry", reason="вне компетенции")


async def closed_at_registration(env: WorkflowEnvironment, h: Handle) -> None:
    """Anonymous: left without consideration, or a crime report forwarded, by the workflow itself."""


async def partly_forwarded_late_in_approval(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    await move(h, "forward_part", "ctl-1", "controller", target="police", reason="r", details={"questions": "угрозы"})
    await answer(h, "housing-dept", "Сделано.", "satisfied")
    await env.sleep(timedelta(days=40))  # the legal term passes while the answer waits for approval
    await approve_and_deliver(h)


async def partial_satisfaction_after_hearing(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Нет.")
    await move(h, "return_for_finalization", "ctl-1", "controller", reason="не по существу")
    await env.sleep(timedelta(days=9))  # the finalization term passes
    part = {"answer_text": "Частично.", "answer_character": "partially_satisfied"}
    await move(h, "submit_answer", "housing-dept", "executor", **part)
    await env.sleep(timedelta(days=7))
    await approve_and_deliver(h)


async def terminated_in_consideration(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    st = await h.query("status")
    from datetime import date

    new = date.fromisoformat(st["deadline"]) + timedelta(days=7)
    await move(h, "extend_deadline", "dep-1", "deputy_head", new_deadline=new.isoformat(), reason="экспертиза")
    await env.sleep(timedelta(days=5))
    await move(h, "terminate_consideration", "ctl-1", "controller", details={"ground": "court_act_in_force"})


async def returned(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Изучаем.")
    await move(h, "return_for_finalization", "ctl-1", "controller", reason="не по существу")
    await answer(h, "housing-dept", "Сделано.", "satisfied")
    await approve_and_deliver(h, "ctl-1", "controller")


async def under_control_rated(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "take_under_control", "ctl-1", "controller", reason="резонансное обращение")
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Изучаем.")
    review = {"rating": 2, "remark": "не по существу"}
    await move(h, "return_for_finalization", "ctl-1", "controller", reason="не по существу", details=review)
    await answer(h, "housing-dept", "Сделано.", "satisfied")
    await approve_and_deliver(h, details={"rating": 5, "remark": "полный ответ"})


async def reassigned_v4(env: WorkflowEnvironment, h: Handle) -> None:
    """Table v4: a reassign to an executor outside the routing policy is refused (as a signal:
    recorded), one to a known executor made; the case card is refreshed all along."""
    await h.signal(
        "reassign", await sealed(h, "reassign", {"actor": {"id": "ctl-1", "role": "controller"}, "target": "nobody"})
    )
    await move(h, "reassign", "ctl-1", "controller", target="utilities-dept", reason="вопрос ЖКХ")
    await move(h, "accept", "utilities-dept", "executor")
    await answer(h, "utilities-dept", "Сделано.", "satisfied")
    await approve_and_deliver(h)


async def extended_then_overdue(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    st = await h.query("status")
    from datetime import date

    new = date.fromisoformat(st["deadline"]) + timedelta(days=14)
    await move(h, "extend_deadline", "head-1", "head", new_deadline=new.isoformat(), reason="экспертиза")
    await env.sleep(timedelta(days=60))  # reminders, escalation, disciplinary proposal
    await answer(h, "housing-dept", "Поздно.")
    await approve_and_deliver(h)


async def refused_after_hearing(env: WorkflowEnvironment, h: Handle) -> None:
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Нет.", "refused")
    await h.signal(
        "approve", await sealed(h, "approve", {"actor": {"id": "head-1", "role": "head"}})
    )  # refused: hearing not over
    await h.signal("approve")  # empty payload from the Web UI: refused
    await env.sleep(timedelta(days=7))
    await approve_and_deliver(h)


async def withdrawn_by_signal(env: WorkflowEnvironment, h: Handle) -> None:
    await h.signal(
        "withdraw", await sealed(h, "withdraw", {"actor": {"id": "reg-1", "role": "registrar"}, "reason": "отзыв"})
    )


async def bound_seals_and_cancellation_refused(env: WorkflowEnvironment, h: Handle) -> None:
    """Issue 20: a sealed registration; a seal made for another case and a used seal, refused; a
    cancellation request refused; then the case goes on to its end by its own moves."""
    now = await env.get_current_time()
    executor = {"actor": {"id": "housing-dept", "role": "executor"}}
    await h.signal("accept", seal_as_named(executor, "test", now, case="APL-2026-999999", trigger="accept"))
    reassign = {"actor": {"id": "ctl-1", "role": "controller"}, "target": "roads-dept", "reason": "по профилю"}
    first = await sealed(h, "reassign", reassign)
    await h.signal("reassign", first)
    while (await status(h)).executor != "roads-dept":  # the signal is taken up by the case's loop
        await env.sleep(timedelta(seconds=1))
    await move(h, "reassign", "ctl-1", "controller", target="housing-dept", reason="ошибка")
    await h.signal("reassign", first)  # refused: already used
    await h.cancel()  # refused: a case closes only by its own moves
    await move(h, "accept", "housing-dept", "executor")
    await answer(h, "housing-dept", "Сделано.", "satisfied")
    await approve_and_deliver(h)


async def signed_seals_late_extension_refused(env: WorkflowEnvironment, h: Handle) -> None:
    """Issues 20 and 21: signed seals (an unsigned one refused); table v5: an extension after the
    legal term is refused and the missed term stays; the answer is late."""
    from datetime import date

    from tooling import seal as seal_module

    executor = {"actor": {"id": "housing-dept", "role": "executor"}}
    signer = seal_module.current_signer
    seal_module.current_signer = lambda: None  # type: ignore[assignment]  # a data-key holder's seal
    try:
        unsigned = await sealed(h, "accept", executor)
    finally:
        seal_module.current_signer = signer  # type: ignore[assignment]
    await h.signal("accept", unsigned)  # refused: not signed by a sealer's key
    await move(h, "accept", "housing-dept", "executor")
    await env.sleep(timedelta(days=40))  # past the term: escalation, disciplinary proposal
    st = await h.query("status")
    late = date.fromisoformat(st["deadline"]) + timedelta(days=21)
    head = {"actor": {"id": "head-1", "role": "head"}, "new_deadline": late.isoformat(), "reason": "экспертиза"}
    await h.signal("extend_deadline", await sealed(h, "extend_deadline", head))  # refused: the term has ended
    await answer(h, "housing-dept", "Поздно.")
    await approve_and_deliver(h)


async def proposal_decided(env: WorkflowEnvironment, h: Handle) -> None:
    """Issue 21 (table v5): the term missed, the proposal names the executor at the term and waits
    for the head, who approves it; the appeal is then answered late and closed."""
    await move(h, "accept", "housing-dept", "executor")
    await env.sleep(timedelta(days=40))  # escalation, proposal, its term missed (escalated)
    st = await h.query("status")
    key = st["facts"]["proposals"][0]["key"]
    await move(h, "approve_proposal", "head-1", "head", target=key, reason="решение № 5")
    await answer(h, "housing-dept", "Поздно.")
    await approve_and_deliver(h)


async def refusal_heard_inside_the_term(env: WorkflowEnvironment, h: Handle) -> None:
    """Issue 21 (table v5): the hearing_start alert names the day the hearing and the decision fit;
    a refusal sent later is flagged; heard, then approved."""
    await move(h, "accept", "housing-dept", "executor")
    await env.sleep(timedelta(days=18))  # past the advised day: the hearing ends on the term's last day or later
    await answer(h, "housing-dept", "Нет.", "refused")
    await env.sleep(timedelta(days=7))
    await approve_and_deliver(h)


async def typed_details_v6(env: WorkflowEnvironment, h: Handle) -> None:
    """Issue 22 (table v6): each move names its subject in its typed details (the executor, the body,
    the new term), as a form or a channel sends it."""
    from datetime import date

    from policies import calendar

    await move(h, "accept", "housing-dept", "executor")
    await move(h, "reassign", "ctl-1", "controller", reason="по профилю", details={"executor": "utilities-dept"})
    await move(h, "accept", "utilities-dept", "executor")
    part = {"body": "police", "questions": "угрозы"}
    await move(h, "forward_part", "ctl-1", "controller", reason="вне компетенции", details=part)
    later = calendar.next_working_day(date.fromisoformat((await status(h)).deadline) + timedelta(days=10))
    await move(h, "extend_deadline", "head-1", "head", reason="экспертиза", details={"new_deadline": later.isoformat()})
    await answer(h, "utilities-dept", "Сделано.", "satisfied")
    await approve_and_deliver(h)


async def delivered_v7(env: WorkflowEnvironment, h: Handle) -> None:
    """Issue 24 (table v7): the extension notice delivered in its term (read at its timer); the
    answer approved, news of its letter and a look on the case's own timer (still queued), then the
    letter handed over: the delivery closes the appeal."""
    from datetime import date

    from policies import calendar

    await move(h, "accept", "housing-dept", "executor")
    later = calendar.next_working_day(date.fromisoformat((await status(h)).deadline) + timedelta(days=10))
    extended = await move(
        h, "extend_deadline", "head-1", "head", reason="экспертиза", details={"new_deadline": later.isoformat()}
    )
    await hand_over(h, key=f"{h.id}:extension_notice:move-{extended.history[-1].seq}")
    await env.sleep(timedelta(days=6))
    await answer(h, "housing-dept", "Сделано.", "satisfied")
    approved = await move(h, "approve", "head-1", "head")
    await h.signal("delivery_news", "forged: delivered")
    await env.sleep(timedelta(minutes=15))
    await hand_over(h, approved)


async def reception_slot_in_details(env: WorkflowEnvironment, h: Handle, engine: Any) -> list[str]:
    """Issue 22 (reception table v2): the slot is details.slot_id, booked and moved, then cancelled."""
    from activities.receptions import create_slots
    from policies import calendar

    now = await env.get_current_time()
    day = calendar.next_working_day(now.astimezone(calendar.local_zone()).date() + timedelta(days=2))
    first, second = create_slots(engine, "housing-head", day, "11:00", "12:00", 30)[:2]
    booking = {"slot_id": first.slot_id, "participants": ["housing-dept"]}
    await move(h, "schedule", "reg-1", "registrar", details=booking)
    await move(h, "reschedule", "reg-1", "registrar", reason="просьба", details={"slot_id": second.slot_id})
    await move(h, "cancel", "reg-1", "registrar", reason="передумал")
    return []


async def reception_earliest_free_slot(env: WorkflowEnvironment, h: Handle, engine: Any) -> list[str]:
    """Issue 23 (reception table v3): booked without a slot number (the earliest free); a move to
    the earliest free refused while none is free; moved once another slot exists; cancelled."""
    from activities.receptions import create_slots
    from policies import calendar

    now = await env.get_current_time()
    day = calendar.next_working_day(now.astimezone(calendar.local_zone()).date() + timedelta(days=2))
    create_slots(engine, "housing-head", day, "15:00", "15:30", 30)
    await move(h, "schedule", "reg-1", "registrar", details={"participants": ["housing-dept"]})
    await refused(h, "reschedule", "reg-1", "registrar", reason="просьба", details={"participants": []})
    create_slots(engine, "housing-head", day, "16:00", "16:30", 30)
    await move(h, "reschedule", "reg-1", "registrar", reason="просьба", details={"participants": []})
    await move(h, "cancel", "reg-1", "registrar", reason="передумал")
    return []


async def reception_with_instructions(env: WorkflowEnvironment, h: Handle, engine: Any) -> list[str]:
    from activities.receptions import create_slots
    from policies import calendar

    now = await env.get_current_time()
    day = calendar.next_working_day(now.astimezone(calendar.local_zone()).date() + timedelta(days=2))
    slot = create_slots(engine, "housing-head", day, "10:00", "10:30", 30)[0]
    await move(h, "schedule", "reg-1", "registrar", target=str(slot.slot_id))
    instructions = [
        {"executor": "housing-dept", "text": "Откачать воду.", "term_working_days": 5},
        {"executor": "roads-dept", "text": "Засыпать яму.", "term_working_days": 5},
    ]
    await move(h, "hold", "housing-head", "official", answer_text="Поручено.", details={"instructions": instructions})
    client = h._client  # the handle's own client
    first, second = (client.get_workflow_handle(f"{h.id}-{i}") for i in (1, 2))
    await until_state(first, "routed")
    await until_state(second, "routed")
    await move(first, "accept", "housing-dept", "executor")
    await answer(first, "housing-dept", "Изучаем.")
    await move(first, "return_for_finalization", "ctl-1", "controller", reason="не сделано")
    await until_state(h, "returned_for_finalization")
    await answer(first, "housing-dept", "Сделано.", "satisfied")
    await approve_and_deliver(first, "ctl-1", "controller")
    await move(second, "accept", "roads-dept", "executor")
    await env.sleep(timedelta(days=30))  # the second is late: reminders, escalation, proposal
    await answer(second, "roads-dept", "Сделано.", "satisfied")
    await approve_and_deliver(second)
    await until_state(h, "answered")
    await move(h, "close", "ctl-1", "controller")
    return [first.id, second.id]


async def reception_no_show(env: WorkflowEnvironment, h: Handle, engine: Any) -> list[str]:
    from activities.receptions import create_slots
    from policies import calendar

    now = await env.get_current_time()
    day = calendar.next_working_day(now.astimezone(calendar.local_zone()).date() + timedelta(days=2))
    slot = create_slots(engine, "housing-head", day, "15:00", "15:30", 30)[0]
    await move(h, "schedule", "reg-1", "registrar", target=str(slot.slot_id))
    return []


async def reception_cancelled(env: WorkflowEnvironment, h: Handle, engine: Any) -> list[str]:
    await h.signal(
        "cancel", await sealed(h, "cancel", {"actor": {"id": "reg-1", "role": "registrar"}, "reason": "передумал"})
    )
    return []


async def until_state(h: Handle, state: str) -> None:
    for _ in range(400):
        if (await h.query("status"))["state"] == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{h.id} never reached {state}")


RECEPTION_SCENARIOS: dict[str, Callable[[WorkflowEnvironment, Handle, Any], Awaitable[list[str]]]] = {
    "reception_with_instructions": reception_with_instructions,
    "reception_no_show": reception_no_show,
    "reception_cancelled": reception_cancelled,
    "reception_slot_in_details_v2": reception_slot_in_details,
    "reception_earliest_free_slot_v3": reception_earliest_free_slot,
}

SCENARIOS: dict[str, Callable[[WorkflowEnvironment, Handle], Awaitable[None]]] = {
    "appeal_happy_path": happy,
    "appeal_forwarded": forwarded,
    "appeal_returned_for_finalization": returned,
    "appeal_extended_then_overdue": extended_then_overdue,
    "appeal_refusal_after_hearing": refused_after_hearing,
    "appeal_withdrawn_by_signal": withdrawn_by_signal,
    "appeal_anonymous_left": closed_at_registration,
    "appeal_anonymous_crime_forwarded": closed_at_registration,
    "appeal_partly_forwarded_late_in_approval": partly_forwarded_late_in_approval,
    "appeal_partial_satisfaction_after_hearing": partial_satisfaction_after_hearing,
    "appeal_terminated_in_consideration": terminated_in_consideration,
    "appeal_under_control_rated": under_control_rated,
    "appeal_reassigned_v4": reassigned_v4,
    "appeal_bound_seals_cancellation_refused": bound_seals_and_cancellation_refused,
    "appeal_signed_seals_late_extension_refused_v5": signed_seals_late_extension_refused,
    "appeal_proposal_decided_v5": proposal_decided,
    "appeal_refusal_heard_late_v5": refusal_heard_inside_the_term,
    "appeal_without_iin_marked_for_correction": happy,
    "appeal_typed_details_v6": typed_details_v6,
    "appeal_delivered_v7": delivered_v7,
}
# Appeals that differ from the factory's (anonymous applicants).
APPEAL_INPUTS: dict[str, dict[str, Any]] = {
    "appeal_anonymous_left": {"applicant": {"kind": "anonymous"}, "contacts": {"email": "x@example.kz"}},
    "appeal_without_iin_marked_for_correction": {"applicant": {"kind": "person", "name": "Айгерим Садыкова"}},
    "appeal_anonymous_crime_forwarded": {
        "applicant": {"kind": "anonymous"},
        "contacts": {},
        "category": "crime_report",
    },
}


async def record(only: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=data_converter(),
    )
    client: Client = env.client
    await register_search_attributes(client)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(8) as pool:
        engine = make_engine(f"sqlite:///{tmp}/registry.db")
        async with build_worker(client, engine, task_queue=f"record-{uuid.uuid4()}", pool=pool) as worker:
            for name, scenario in SCENARIOS.items():
                if only and name not in only:
                    continue
                factories.clock_now = await env.get_current_time()
                number = f"APL-2026-{len(name) * 1000 + sum(map(ord, name)) % 1000:06d}"
                appeal = factories.appeal_dict(reg_number=number, **APPEAL_INPUTS.get(name, {}))
                handle = await client.start_workflow(
                    AppealWorkflow.run,
                    await registration(client, appeal),
                    id=appeal["reg_number"],
                    task_queue=worker.task_queue,
                )
                await scenario(env, handle)
                await handle.result()
                history = await handle.fetch_history()
                (OUT / f"{name}__{handle.id}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"recorded {name}: {len(history.events)} events")
            for name, reception_scenario in RECEPTION_SCENARIOS.items():
                if only and name not in only:
                    continue
                from tests.test_reception import reception_dict
                from workflows.reception import ReceptionWorkflow

                now = await env.get_current_time()
                number = f"RCP-2026-{len(name) * 1000 + hash(name) % 1000:06d}"
                reception_handle: Handle = await client.start_workflow(
                    ReceptionWorkflow.run,
                    await registration(client, reception_dict(number, now)),
                    id=number,
                    task_queue=worker.task_queue,
                )
                handle = reception_handle
                children = await reception_scenario(env, handle, engine)
                await handle.result()
                for wid, label in [(number, name), *((c, f"{name}_instruction") for c in children)]:
                    history = await client.get_workflow_handle(wid).fetch_history()
                    (OUT / f"{label}__{wid}.json").write_text(history.to_json(), encoding="utf-8")
                    print(f"recorded {label}: {len(history.events)} events")
            await record_instruction_paths(env, engine, worker, only)
            if not only or "half_year_report" in only:
                from models.notices import HalfYearRequest

                report = await client.start_workflow(
                    "HalfYearReportWorkflow",
                    HalfYearRequest("2026-12-31"),
                    id="half-year-report-2026-2",
                    task_queue=worker.task_queue,
                )
                await report.result()
                history = await report.fetch_history()
                (OUT / f"half_year_report__{report.id}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"recorded half_year_report: {len(history.events)} events")
            for kind in ("digest", "systemic"):
                if only and f"report_{kind}" not in only:
                    continue
                from models.notices import ReportRequest

                report = await client.start_workflow(
                    "ReportWorkflow", ReportRequest(kind), id=f"report-{kind}-recorded", task_queue=worker.task_queue
                )
                await report.result()
                history = await report.fetch_history()
                (OUT / f"report_{kind}__{report.id}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"recorded report_{kind}: {len(history.events)} events")
    await env.shutdown()


async def record_instruction_paths(env: WorkflowEnvironment, engine: Any, worker: Any, only: list[str]) -> None:
    """Instruction paths are the tests themselves, run against a recording client; every run of a
    continued workflow is saved (the first ends with continue-as-new, the last with completion)."""
    from temporalio.client import Client as TemporalClient

    from tests import test_instruction as paths
    from tests.conftest import StartRecorder

    scenarios: dict[str, Callable[..., Awaitable[None]]] = {
        "instruction_late_twice_proposal_approved": paths.test_three_executors_one_late_twice,
        "instruction_periodic_continue_as_new": paths.test_periodic_control_continues_as_new_and_keeps_the_trail,
        "instruction_extensions": paths.test_extensions_refused_and_approved,
        "instruction_verification_returns": paths.test_verification_returns_for_finalization,
        # Issue 21 (table v3): the issuer's decision recorded with its document, the issuer's own office.
        "instruction_extensions_v3": paths.test_extensions_refused_and_approved,
        "instruction_akim_office_decides_v3": paths.test_the_akim_s_office_decides_for_the_akim_and_no_one_else,
        "instruction_once_missed_proposal": paths.test_a_missed_one_term_instruction_leads_to_a_proposal,
        "instruction_reported_by_unit": paths.test_an_executor_user_reports_for_their_unit,
        # Issue 22 (table v4): the verification's date, the extension's term in typed details.
        "instruction_verification_returns_v4": paths.test_verification_returns_for_finalization,
        "instruction_extensions_v4": paths.test_extensions_refused_and_approved,
    }
    for name, scenario in scenarios.items():
        if only and name not in only:
            continue
        recorder = StartRecorder()
        config = env.client.config()
        config["interceptors"] = [*config["interceptors"], recorder]
        client = TemporalClient(**config)
        import inspect

        given = {"env": env, "client": client, "worker": worker, "engine": engine}
        await scenario(**{k: given[k] for k in inspect.signature(scenario).parameters})
        for wid in recorder.ids:
            runs = []
            async for event_run in _runs(client, wid):
                runs.append(event_run)
            for index, run_id in enumerate(runs, start=1):
                history = await client.get_workflow_handle(wid, run_id=run_id).fetch_history()
                label = name if len(runs) == 1 else f"{name}_run{index}"
                (OUT / f"{label}__{wid}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"recorded {label}: {len(history.events)} events")


async def _runs(client: Any, workflow_id: str) -> Any:
    """Run ids of a workflow from its first run along the continue-as-new chain."""
    handle = client.get_workflow_handle(workflow_id)
    latest = (await handle.describe()).run_id
    first = (await client.get_workflow_handle(workflow_id, run_id=latest).fetch_history()).events[0]
    chain = [latest]
    previous = first.workflow_execution_started_event_attributes.continued_execution_run_id
    while previous:
        chain.append(previous)
        started = (await client.get_workflow_handle(workflow_id, run_id=previous).fetch_history()).events[0]
        previous = started.workflow_execution_started_event_attributes.continued_execution_run_id
    for run_id in reversed(chain):
        yield run_id


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)  # the SDK's core threads can abort at interpreter finalization once all is written
