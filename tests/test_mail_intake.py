"""The e-mail intake (issue 25): a message to the department's intake mailbox, sent over SMTP to the
real receiver, becomes a draft with its text and files; a registrar registers it from the workbench
(received when it came, its files with it) or registers it and leaves it without consideration with
the ground; a draft still waiting after the end of the next working day is reported to the registry
office, once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import pytest
from sqlmodel import Session, select

from activities.mail_intake import alert_overdue, due_by, keep_message, serve
from models.intake import AttachmentRecord, MailDraftRecord
from models.registry import NotificationRecord
from tests.conftest import Served
from tests.scenario import until_state
from tests.test_intake_api import PDF
from tests.test_web_ui import free_port
from tooling.users import add_user
from tooling.users import log_in as open_session
from web.app import create_app

PASSWORD = "long enough password"


def letter(subject: str = "Протекает крыша", message_id: str = "<m1@example.kz>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Айгерим Садыкова <aigerim@example.kz>"
    message["To"] = "appeals-intake@akimat.example.kz"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Здравствуйте! В доме по ул. Абая, 1 третий месяц протекает крыша.")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="фото.pdf")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="virus.exe")
    return message


@pytest.fixture
def mailbox(served: Served) -> Iterator[int]:
    port = free_port()
    controller = serve(served.engine, "127.0.0.1", port)
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
async def registrar(served: Served, dev_env: Any) -> AsyncIterator[httpx.AsyncClient]:
    import secrets

    from models.registry import RegistrationCounter
    from policies.calendar import local_year

    with Session(served.engine) as session:
        session.add(RegistrationCounter(prefix="APL", year=local_year(), last=secrets.randbelow(900_000) + 50_000))
        session.commit()
    add_user(served.engine, "reg.mail", "Регистратор Почты", ["registrar"], "", PASSWORD)
    app = create_app(engine=served.engine, temporal_address=dev_env.client.service_client.config.target_host)
    cookies = {"appeals_session": open_session(served.engine, "reg.mail", PASSWORD, "ui_session"), "appeals_csrf": "t"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", cookies=cookies,
        headers={"Origin": "http://127.0.0.1"},
    ) as http:  # fmt: skip
        yield http


def drafts(served: Served) -> list[MailDraftRecord]:
    with Session(served.engine) as session:
        return list(session.exec(select(MailDraftRecord)).all())


async def test_an_e_mail_becomes_a_draft_and_the_registrar_registers_it_with_its_files(
    served: Served, mailbox: int, registrar: httpx.AsyncClient, dev_env: Any
) -> None:
    await aiosmtplib.send(letter(), hostname="127.0.0.1", port=mailbox)
    await aiosmtplib.send(letter(), hostname="127.0.0.1", port=mailbox)  # the sender's server retried
    [draft] = drafts(served)
    assert (draft.from_address, draft.from_name, draft.subject) == (
        "aigerim@example.kz",
        "Айгерим Садыкова",
        "Протекает крыша",
    )
    assert "третий месяц" in draft.text and draft.state == "waiting"
    with Session(served.engine) as session:
        files = session.exec(select(AttachmentRecord).where(AttachmentRecord.reg_number == f"draft-{draft.id}")).all()
    assert [f.name for f in files] == ["фото.pdf"]  # an executable is not kept
    inbox = await registrar.get("/work/inbox")
    assert "Протекает крыша" in inbox.text and f"/work/register/appeal?draft={draft.id}" in inbox.text
    form = await registrar.get(f"/work/register/appeal?draft={draft.id}")
    assert "третий месяц" in form.text and 'value="aigerim@example.kz"' in form.text
    posted = {
        "csrf": "t", "draft": str(draft.id), "type": "application", "channel": "electronic", "category": "housing",
        "district": "almaly", "text": draft.text, "applicant_kind": "person", "name": "Айгерим Садыкова",
        "email": "aigerim@example.kz", "addressee": "Аким города", "language": "ru", "leave_ground": "",
    }  # fmt: skip
    done = await registrar.post("/work/register/appeal", data=posted)
    assert done.status_code == 303, done.text
    number = done.headers["location"].split("/work/case/")[1].split("?")[0]
    [after] = drafts(served)
    assert (after.state, after.reg_number, after.handled_by) == ("registered", number, "reg.mail")
    with Session(served.engine) as session:
        kept = session.exec(select(AttachmentRecord).where(AttachmentRecord.reg_number == number)).all()
    assert [(k.name, k.sha256) for k in kept] == [("фото.pdf", hashlib.sha256(PDF).hexdigest())]
    handle = dev_env.client.get_workflow_handle(number)
    await until_state(handle, "routed")
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert PDF not in started.data
    again = await registrar.post("/work/register/appeal", data=posted)  # the same draft twice: refused
    assert again.status_code == 409 and len(drafts(served)) == 1


async def test_a_draft_registered_and_left_without_consideration_with_its_ground(
    served: Served, registrar: httpx.AsyncClient, dev_env: Any
) -> None:
    received = await asyncio.to_thread(keep_message, served.engine, letter("???", "<m2@example.kz>").as_bytes())
    posted = {
        "csrf": "t", "draft": str(received.draft_id), "type": "application", "channel": "electronic",
        "category": "other", "district": "almaly", "text": "???", "applicant_kind": "person", "name": "Айгерим",
        "email": "aigerim@example.kz", "addressee": "Аким города", "language": "ru", "leave_ground": "no_essence",
    }  # fmt: skip
    done = await registrar.post("/work/register/appeal", data=posted)
    assert done.status_code == 303, done.text
    number = done.headers["location"].split("/work/case/")[1].split("?")[0]
    st = await until_state(dev_env.client.get_workflow_handle(number), "closed")
    assert st.closure_reason == "left_without_consideration" and st.history[-1].actor_id == "reg.mail"


def test_a_draft_waiting_past_the_next_working_day_is_reported_to_the_registry_office_once(served: Served) -> None:
    came = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # a Friday, 11:00 in Almaty
    received = keep_message(served.engine, letter("Жалоба", "<m3@example.kz>").as_bytes(), now=came)
    term = due_by(came)
    assert term.isoformat().startswith("2026-12-08")  # the next working day is Monday: its end, local midnight
    assert alert_overdue(served.engine, now=term - timedelta(minutes=1)) == 0
    assert alert_overdue(served.engine, now=term + timedelta(minutes=1)) == 1
    assert alert_overdue(served.engine, now=term + timedelta(hours=2)) == 0  # once
    with Session(served.engine) as session:
        alert = session.exec(
            select(NotificationRecord).where(NotificationRecord.template == "mail_draft_overdue")
        ).one()
    assert alert.recipient == "registry-office" and "Жалоба" in alert.body and f"draft-{received.draft_id}" in alert.key
