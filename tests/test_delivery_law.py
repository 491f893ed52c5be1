"""The law on delivery (issue 24, table v7): an appeal's answer is given when it reaches the
applicant, not when it is approved. Approval signs the answer and writes its letter; the relay sends
it to a real SMTP server; the case reads the delivery from the registry when the relay tells it (and
on its own timer), then closes as answered with the delivery's time against the legal term. A failed
letter flags the case until a controller sends it again to a corrected address; an extension
notice counts as given when it is delivered."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    Worker,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from activities.mail import SmtpSettings
from activities.outbox import OutboxActivities
from models.case_status import CaseStatus
from models.registry import CaseRecord, EventRecord, NotificationRecord
from runtime import search_attributes as sa
from tests.scenario import POSTED, accepted, answer, keyless, move, refused, server_now, status, until_state
from tests.test_case_card import card_of
from tests.test_case_card import payloads as payloads_of
from tests.test_no_wedge import failed_tasks
from tests.test_outbox import Server, Sink, smtp  # noqa: F401 (the fixture)
from tooling.outbox import OutboxError, resend_letters
from tooling.seal import Identity
from worker import build_worker
from workflows.outbox_relay import OutboxRelayWorkflow

EMAIL = {"email": "aigul@example.kz", "phone": "", "address": ""}
PAPER = {"email": "", "phone": "", "address": "г. Алматы, ул. Абая, 1"}
CONTROLLER = Identity("c.one", "Контролёр", ["controller"])
EXECUTOR = Identity("e.one", "Исполнитель", ["executor"], "housing-dept")


async def relay_once(client: Client, engine: Engine, settings: SmtpSettings) -> Any:
    """One run of the relay's workflow (as its Schedule starts it), on a worker of its own."""
    queue = f"relay-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[OutboxRelayWorkflow],
        activities=[OutboxActivities(engine, settings).relay_outbox],
    ):
        return await client.execute_workflow(
            OutboxRelayWorkflow.run, None, id=f"relay-{uuid.uuid4()}", task_queue=queue
        )


def letter(engine: Engine, key: str) -> NotificationRecord:
    with Session(engine) as session:
        row = session.exec(select(NotificationRecord).where(NotificationRecord.key == key)).one()
        session.expunge(row)
        return row


def card(engine: Engine, number: str) -> CaseRecord:
    with Session(engine) as session:
        row = session.get(CaseRecord, number)
        assert row is not None
        session.expunge(row)
        return row


def events(engine: Engine, number: str) -> list[EventRecord]:
    with Session(engine) as session:
        return list(
            session.exec(select(EventRecord).where(EventRecord.reg_number == number).order_by(col(EventRecord.id)))
        )


async def approved(client: Client, worker: Worker, **appeal: Any) -> tuple[Any, CaseStatus]:
    handle = await accepted(client, worker, "housing-dept", category="housing", district="almaly", **appeal)
    await answer(handle, "housing-dept", "Кровля будет отремонтирована в мае.", "satisfied")
    return handle, await move(handle, "approve", "head-1", "head")


def connected(client: Client) -> Any:
    async def get() -> Client:
        return client

    return get


async def attention(handle: Any) -> bool | None:
    return (await handle.describe()).typed_search_attributes.get(sa.CASE_ATTENTION)


async def test_the_answer_is_given_when_its_e_mail_is_accepted_not_when_it_is_approved(
    client: Client,
    worker: Worker,
    engine: Engine,
    smtp: tuple[Sink, Server, SmtpSettings],  # noqa: F811
) -> None:
    sink, _, settings = smtp
    handle, st = await approved(client, worker, contacts=EMAIL, language="ru")
    # Approved and signed, not yet given: the appeal stays answered, and says what it waits for.
    assert st.state == "answered" and st.closure_reason == "" and st.appeal.approved_at
    assert (st.appeal.delivery, st.appeal.answer_letter) == ("queued", f"{handle.id}:answer_letter:move-4")
    assert card(engine, handle.id).state == "answered" and card(engine, handle.id).answered_on == ""
    shown = await card_of(handle)
    assert "Ответ заявителю" in shown and "ждёт отправки" in shown
    # Signed: neither returned nor approved again while its letter is on its way.
    assert "not_yet_approved" in await refused(handle, "return_for_finalization", "head-1", "head", reason="...")
    assert "not_yet_approved" in await refused(handle, "approve", "head-1", "head")
    # Nobody may claim the delivery: it is the case's own move, from the registry's record.
    assert "may not trigger 'record_delivery'" in await refused(handle, "record_delivery", "head-1", "head")

    done = await relay_once(client, engine, settings)
    assert handle.id in done.news  # the relay told the case; the case read the registry itself
    final = await until_state(handle, "closed")
    assert final.closure_reason == "answered"
    [mail] = [m for m in sink.messages if m["To"] == "aigul@example.kz" and "answer_letter" in str(m["Message-ID"])]
    sent = letter(engine, st.appeal.answer_letter)
    delivery = final.history[-1]
    assert (delivery.trigger, delivery.actor_id, delivery.from_state, delivery.to_state) == (
        "record_delivery", "delivery-record", "answered", "closed",
    )  # fmt: skip
    assert sent.sent_at is not None and delivery.detail["delivered_at"][:19] == sent.sent_at.isoformat()[:19]
    assert (delivery.detail["channel"], delivery.detail["late"]) == ("email", "no")
    assert final.appeal.delivered_at == delivery.detail["delivered_at"]
    registry = card(engine, handle.id)
    assert (registry.state, registry.closure_reason, registry.answered_late) == ("closed", "answered", False)
    assert registry.answered_on and registry.answer_working_days is not None
    assert [e.trigger for e in events(engine, handle.id)][-2:] == ["approve", "record_delivery"]
    await handle.result()


async def test_a_failed_answer_flags_the_case_until_a_controller_sends_it_again_to_a_corrected_address(
    client: Client,
    worker: Worker,
    engine: Engine,
    smtp: tuple[Sink, Server, SmtpSettings],  # noqa: F811
) -> None:
    sink, _, settings = smtp
    sink.refuse = "550 5.1.1 No such mailbox"
    handle, st = await approved(client, worker, contacts={"email": "aigul@exmaple.kz", "phone": "", "address": ""})
    key = st.appeal.answer_letter
    assert await attention(handle) is False
    await relay_once(client, engine, settings)
    for _ in range(200):  # the relay's word reaches the case as a signal
        failed = await status(handle)
        if failed.appeal.delivery == "failed":
            break
    assert failed.state == "answered" and "550" in failed.appeal.delivery_error
    assert await attention(handle) is True  # in the Web UI's list of cases needing attention
    shown = await card_of(handle)
    assert "не доставлен" in shown and "550" in shown
    assert any(t.kind == "answer_delivery_failed" for t in failed.timeline)

    now, get = await server_now(client), connected(client)
    with pytest.raises(OutboxError, match="may not"):  # an executor may not
        await resend_letters(get, engine, EXECUTOR, "ui_session", handle.id, key, "aigul@example.kz", now)
    assert letter(engine, key).status == "failed"
    with pytest.raises(OutboxError, match="no failed notice"):
        await resend_letters(get, engine, CONTROLLER, "ui_session", handle.id, f"{handle.id}:forged", "", now)
    forged = {"notice": f"{handle.id}:forged", "address": ""}
    assert "not a letter of this appeal that failed" in await refused(
        handle, "resend_notice", "c.one", "controller", details=forged
    )
    staff = {"notice": f"{handle.id}:assignment:move-1", "address": "aigul@example.kz"}
    assert "staff notice" in await refused(handle, "resend_notice", "c.one", "controller", details=staff)
    sink.refuse = ""
    # Every failed letter of the case (the acknowledgement went to the same wrong address), corrected.
    # The staff notices that failed with them are sent again to their own mailboxes, not to her.
    fixed = await resend_letters(get, engine, CONTROLLER, "ui_session", handle.id, "", "aigul@example.kz", now)
    acknowledgement, assignment = f"{handle.id}:acknowledgement:registered", f"{handle.id}:assignment:move-1"
    assert {acknowledgement, assignment, key} <= set(fixed)
    assert letter(engine, assignment).recipient == "housing-dept"
    assert letter(engine, acknowledgement).recipient == "aigul@example.kz"
    again = await status(handle)
    resend = again.history[-1]
    assert (resend.trigger, resend.actor_id, resend.auth) == ("resend_notice", "c.one", "ui_session")
    assert (resend.detail["was"], resend.detail["to"]) == ("email", "email")  # the kind, not the address
    assert again.appeal.delivery == "queued" and again.appeal.delivery_error == ""
    assert letter(engine, key).recipient == "aigul@example.kz"
    assert await attention(handle) is False

    await relay_once(client, engine, settings)
    final = await until_state(handle, "closed")
    assert final.history[-1].trigger == "record_delivery" and final.closure_reason == "answered"
    answers = [m["To"] for m in sink.messages if "answer_letter-move-4@" in str(m["Message-ID"])]
    assert answers == ["aigul@example.kz"]  # once, to the corrected address
    recorded = [e for e in events(engine, handle.id) if e.trigger == "resend_notice"]
    assert len(recorded) == len(fixed) and {e.actor_id for e in recorded} == {"c.one"}
    assert not [e for e in recorded if "aigul" in e.detail]  # the address is personal data: its kind only


async def test_an_answer_approved_in_time_but_delivered_after_the_term_is_late(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    handle, st = await approved(
        client, worker, contacts={"email": "", "phone": "", "address": "г. Алматы, ул. Абая, 1"}
    )
    assert st.history[-1].detail["approved_late"] == "no"
    due = datetime.fromisoformat(st.due_at)
    await env.sleep(due - datetime.fromisoformat(st.appeal.approved_at) + timedelta(days=1))
    waiting = await status(handle)
    assert waiting.state == "answered" and waiting.overdue  # the term ran out before the answer was given
    assert any(t.kind == "escalation" and "waited for its delivery" in t.detail for t in waiting.timeline)
    posted = await move(
        handle, "mark_posted", "reg-1", "registrar", details={"notice": st.appeal.answer_letter, "tracking": POSTED}
    )
    assert posted.state == "closed" and posted.appeal.answered_late
    assert posted.history[-2].trigger == "mark_posted" and posted.history[-2].detail["tracking"] == POSTED
    assert posted.history[-1].detail["late"] == "yes"
    assert card(engine, handle.id).answered_late is True
    sent = letter(engine, st.appeal.answer_letter)
    assert (sent.status, sent.channel, sent.message_id) == ("sent", "paper", POSTED)
    assert (
        sent.sent_at is not None and sent.sent_at.replace(tzinfo=due.tzinfo) > due
    )  # the move's time, not the wall clock


async def test_a_letter_cannot_be_posted_twice_nor_a_staff_notice_posted(
    client: Client, worker: Worker, engine: Engine
) -> None:
    handle, st = await approved(client, worker, contacts=EMAIL)
    staff_notice = f"{handle.id}:assignment:move-1"
    assert "still to send" in await refused(
        handle, "mark_posted", "reg-1", "registrar", details={"notice": staff_notice, "tracking": POSTED}
    )
    assert "tracking" in await refused(
        handle, "mark_posted", "reg-1", "registrar", details={"notice": st.appeal.answer_letter, "tracking": ""}
    )
    assert "may not trigger 'mark_posted'" in await refused(
        handle,
        "mark_posted",
        "housing-dept",
        "executor",
        details={"notice": st.appeal.answer_letter, "tracking": POSTED},
    )
    unchanged = await status(handle)
    assert unchanged.state == "answered" and unchanged.history == st.history  # refusals change nothing
    assert letter(engine, st.appeal.answer_letter).status == "queued"


async def test_the_extension_notice_counts_when_it_is_delivered_within_its_term(
    env: WorkflowEnvironment, client: Client, worker: Worker, engine: Engine
) -> None:
    async def extended() -> tuple[Any, CaseStatus]:
        handle = await accepted(client, worker, "housing-dept", category="housing", contacts=EMAIL)
        new = (datetime.fromisoformat((await status(handle)).deadline) + timedelta(days=20)).date().isoformat()
        return handle, await move(handle, "extend_deadline", "head-1", "head", reason="экспертиза", new_deadline=new)

    told, _ = await extended()
    notice = f"{told.id}:extension_notice:move-3"
    await move(told, "mark_posted", "reg-1", "registrar", details={"notice": notice, "tracking": POSTED})
    untold, _ = await extended()  # its notice never leaves the outbox (no relay runs here)
    await env.sleep(timedelta(days=7))  # past 3 working days
    told_st, untold_st = await status(told), await status(untold)
    assert any(t.kind == "extension_notice_sent" for t in told_st.timeline)
    assert not any(t.kind == "extension_notice_overdue" for t in told_st.timeline)
    assert any(t.kind == "extension_notice_overdue" for t in untold_st.timeline)
    with Session(engine) as session:
        alerts = session.exec(
            select(NotificationRecord).where(
                NotificationRecord.reg_number == untold.id, NotificationRecord.template == "control_alert"
            )
        ).all()
    assert any("extension_notice_due" in a.key for a in alerts)


async def test_delivery_news_from_anyone_changes_nothing_and_fails_no_task(
    client: Client, worker: Worker, engine: Engine
) -> None:
    """The internal signal says nothing the case trusts: a stranger's, or a garbled one, only makes
    the case read its letter's record, which still says queued."""
    handle, st = await approved(client, worker, contacts=EMAIL)
    stranger = keyless(client).get_workflow_handle(handle.id)
    for payload in ("delivered", {"status": "delivered", "at": "2020-01-01"}, None, ["x" * 10_000]):
        await stranger.signal("delivery_news", payload)
    await handle.signal("delivery_news", json.dumps({"closed": True}))
    after = await status(handle)
    assert (after.state, after.appeal.delivery, after.appeal.delivered_at) == ("answered", "queued", "")
    with pytest.raises(WorkflowUpdateFailedError):
        await move(handle, "record_delivery", "head-1", "head")
    history = await handle.fetch_history()
    failed = [e for e in history.events if e.WhichOneof("attributes") == "workflow_task_failed_event_attributes"]
    assert failed == []


async def test_the_daily_report_run_writes_the_post_s_bundle_of_the_print_queue(
    client: Client, worker: Worker, engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry office's bundle comes by itself (Schedule `paper-bundle-daily`, ReportWorkflow
    kind `paper`): the letters to postal addresses, with the register list."""
    import io

    from pypdf import PdfReader

    from activities.reports import REPORTS_DIR_ENV
    from models.notices import RelayRequest, ReportRequest
    from tooling.schedules import engine_schedules

    monkeypatch.setenv(REPORTS_DIR_ENV, str(tmp_path))
    postal = {"email": "", "phone": "", "address": "г. Алматы, мкр. Шұғыла, д. 12, кв. 4"}
    handle, _ = await approved(client, worker, contacts=postal)
    await OutboxActivities(engine, None).relay_outbox(RelayRequest())  # routed: to the print queue
    result = await client.execute_workflow(
        "ReportWorkflow", ReportRequest("paper", day="2026-12-03T10:00:00+00:00"), id=f"paper-{uuid.uuid4()}",
        task_queue=worker.task_queue, result_type=Any,
    )  # fmt: skip
    assert result["summary"] == {"letters": 2}  # the acknowledgement and the answer
    [path] = result["paths"]
    assert path.endswith("paper-2026-12-03.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(path).read_bytes())).pages)
    assert handle.id in text and "Шұғыла" in text
    schedule = engine_schedules(worker.task_queue)["paper-bundle-daily"]
    assert schedule.spec.time_zone_name == "Asia/Almaty"


async def test_any_letter_to_the_applicant_that_fails_flags_the_case_until_it_is_sent_again(
    client: Client,
    worker: Worker,
    engine: Engine,
    smtp: tuple[Sink, Server, SmtpSettings],  # noqa: F811
) -> None:
    sink, _, settings = smtp
    sink.refuse = "550 5.1.1 No such mailbox"
    handle = await accepted(
        client,
        worker,
        "housing-dept",
        category="housing",
        contacts={"email": "aigul@exmaple.kz", "phone": "", "address": ""},
    )
    acknowledgement = f"{handle.id}:acknowledgement:registered"
    assert letter(engine, acknowledgement).status == "queued"
    await relay_once(client, engine, settings)
    for _ in range(200):
        if await attention(handle):
            break
    assert await attention(handle) is True
    st = await status(handle)
    assert st.state == "under_consideration" and any(t.kind == "letter_delivery_failed" for t in st.timeline)
    card = await card_of(handle)
    assert "Не доставлены заявителю" in card and "acknowledgement" in card
    assert payloads_of(card)["resend_notice"]["details"]["notice"] == acknowledgement
    now, get = await server_now(client), connected(client)
    await resend_letters(get, engine, CONTROLLER, "cli", handle.id, acknowledgement, "aigul@example.kz", now)
    assert await attention(handle) is False and (await status(handle)).history[-1].trigger == "resend_notice"
    sink.refuse = ""
    await relay_once(client, engine, settings)
    assert letter(engine, acknowledgement).status == "sent"


class LoseTheTaskAfterPosting(Interceptor):
    """A worker that loses the workflow task in which a letter was marked posted, once, after the
    move's registry write (as a worker killed or timed out there would): the server retries the
    task, and the Update is delivered again."""

    lost: ClassVar[list[str]] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        lost = self.lost

        class Inbound(WorkflowInboundInterceptor):
            async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
                result = await super().handle_update_handler(input)
                if input.update == "transition" and "mark_posted" in str(input.args) and not lost:
                    lost.append(workflow.info().workflow_id)
                    raise RuntimeError("the worker lost this workflow task")
                return result

        return Inbound


async def test_a_posting_whose_workflow_task_was_lost_is_taken_when_the_task_runs_again(
    client: Client, engine: Engine, pool: ThreadPoolExecutor
) -> None:
    """Issue 27: the retried task found the letter already posted (its own registry write) and
    refused the move, so the case waited for a delivery the registry had already recorded."""
    interceptor = LoseTheTaskAfterPosting()
    worker = build_worker(client, engine, task_queue=f"tq-{uuid.uuid4()}", pool=pool, interceptors=[interceptor])
    async with worker:
        handle, st = await approved(client, worker, contacts=PAPER)
        key = st.appeal.answer_letter
        posted = await move(handle, "mark_posted", "reg-1", "registrar", details={"notice": key, "tracking": POSTED})
        assert interceptor.lost == [handle.id] and await failed_tasks(handle) == 1
        assert posted.state == "closed" and posted.closure_reason == "answered"
        assert [m.trigger for m in posted.history].count("mark_posted") == 1
        assert [e.trigger for e in events(engine, handle.id)].count("mark_posted") == 1  # written once
        sent = letter(engine, key)
        assert (sent.status, sent.channel, sent.message_id) == ("sent", "paper", POSTED)
        await handle.result()


async def test_a_letter_posted_once_is_refused_a_second_posting_with_the_same_tracking(
    client: Client, worker: Worker, engine: Engine
) -> None:
    """The acknowledgement handed over, then handed over again by a second click: refused, since the
    case holds the first posting (only a posting the case does not hold is taken as its own)."""
    handle, st = await approved(client, worker, contacts=PAPER)
    key = f"{handle.id}:acknowledgement:registered"
    first = await move(handle, "mark_posted", "reg-1", "registrar", details={"notice": key, "tracking": POSTED})
    assert first.history[-1].trigger == "mark_posted"
    assert "still to send" in await refused(
        handle, "mark_posted", "reg-1", "registrar", details={"notice": key, "tracking": POSTED}
    )
    assert [e.trigger for e in events(engine, handle.id)].count("mark_posted") == 1
