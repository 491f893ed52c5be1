"""The outbox relay (issue 24) against a real SMTP server in process (aiosmtpd): what it received is
read back (headers, language, both parts, the Message-ID). A server that refuses for good, one that
is down and then up, and a relay that dies between sending and recording are tested; an appeal's
acknowledgement goes from its registration to the mailbox through the relay's workflow."""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.worker import Worker

import activities.outbox as outbox
from activities.mail import SmtpSettings
from activities.notifications import NotificationActivities
from activities.outbox import OutboxActivities
from models.notices import NotificationRequest, RelayRequest
from models.registry import NotificationRecord
from runtime.status_access import status_url
from tests.test_web_ui import free_port


@dataclass
class Sink:
    """What an SMTP server received, and how it answers (`refuse`: a 5xx for every recipient)."""

    messages: list[Message] = field(default_factory=list)
    refuse: str = ""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class Server:
    """The SMTP server on its port, stopped (an outage) and started again by the test."""

    def __init__(self, sink: Sink, port: int) -> None:
        self.sink, self.port = sink, port
        self.running: Controller | None = None

    def start(self) -> None:
        self.running = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.running.start()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, Server, SmtpSettings]]:
    sink = Sink()
    server = Server(sink, free_port())
    server.start()
    try:
        yield sink, server, SmtpSettings("127.0.0.1", server.port, "none")
    finally:
        server.stop()


class Clock:
    """The relay's clock, moved by the test (a backoff or a lease runs out without waiting)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # any moment: the test moves it

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(outbox, "utc_now", moved)
    return moved


def queue(engine: Engine, recipient: str = "aigul@example.kz", template: str = "acknowledgement") -> str:
    """A rendered notice in the outbox, as a case writes it; its key."""
    key = f"APL-2026-000042:{template}:{uuid.uuid4().hex[:8]}"
    context = {
        "reg_number": "APL-2026-000042", "deadline": "2026-12-24", "received_at": "2026-12-03T10:00:00+05:00",
        "applicant_name": "Айгүл",
    }  # fmt: skip
    request = NotificationRequest("APL-2026-000042", key, recipient, template, "kk", context)
    NotificationActivities(engine).send_notification(request)
    return key


def decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8").replace("\r\n", "\n")


def row(engine: Engine, key: str) -> NotificationRecord:
    with Session(engine) as session:
        found = session.exec(select(NotificationRecord).where(NotificationRecord.key == key)).one()
        session.expunge(found)
        return found


async def test_a_notice_reaches_the_applicant_s_mailbox_as_a_proper_e_mail(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    sink, _, settings = smtp
    key = queue(engine)
    result = await OutboxActivities(engine, settings).relay_outbox(RelayRequest())
    assert (result.sent, result.remaining) == (1, 0)
    [received] = sink.messages
    sent = row(engine, key)
    assert received["To"] == "aigul@example.kz" and received["Message-ID"] == sent.message_id
    assert sent.message_id.startswith("<APL-2026-000042-acknowledgement-") and sent.message_id.endswith(
        "@appeals.akimat.example.kz>"
    )
    assert received["Reply-To"] == "appeals@akimat.example.kz" and "appeals@akimat.example.kz" in received["From"]
    assert received["Content-Language"] == "kk"
    assert str(email.header.make_header(email.header.decode_header(received["Subject"]))) == sent.subject
    parts = {part.get_content_type(): part for part in received.walk()}
    assert received.get_content_type() == "multipart/mixed"  # the text in two forms, and the official letter
    assert {"multipart/alternative", "text/plain", "text/html", "application/pdf"} <= set(parts)
    text = decoded(parts["text/plain"])
    assert text.strip() == sent.body.strip() and "APL-2026-000042" in text  # the letter in its language
    assert 'lang="kk"' in decoded(parts["text/html"])
    assert (sent.status, sent.sent, sent.channel, sent.address, sent.attempts) == (
        "sent",
        True,
        "email",
        "aigul@example.kz",
        1,
    )


async def test_a_permanent_refusal_fails_the_notice_and_tells_the_controller(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    sink, _, settings = smtp
    sink.refuse = "550 5.1.1 No such mailbox"
    key = queue(engine, recipient="nobody@example.kz")
    result = await OutboxActivities(engine, settings).relay_outbox(RelayRequest())
    assert (result.failed, result.failed_cases) == (1, ["APL-2026-000042"])
    failed = row(engine, key)
    assert failed.status == "failed" and failed.last_error == "550 5.1.1 No such mailbox" and not failed.sent
    alert = row(engine, f"{key}:delivery_failed")
    assert alert.recipient == "department-controller" and "nobody@example.kz" in alert.body and "550" in alert.body
    sink.refuse = ""
    await OutboxActivities(engine, settings).relay_outbox(RelayRequest())  # the alert goes to the mailbox
    assert [m["To"] for m in sink.messages] == ["control@akimat.example.kz"]
    assert row(engine, key).status == "failed"  # not sent again: it failed for good


async def test_a_server_down_then_up_loses_nothing_and_sends_once(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    sink, server, settings = smtp
    server.stop()
    keys = [queue(engine) for _ in range(3)]
    relay = OutboxActivities(engine, settings)
    result = await relay.relay_outbox(RelayRequest())
    assert (result.sent, result.retried) == (0, 3)
    waiting = row(engine, keys[0])
    assert waiting.status == "queued" and waiting.attempts == 1 and "SMTPConnectError" in waiting.last_error
    server.start()
    assert (await relay.relay_outbox(RelayRequest())).sent == 0  # the backoff is not over
    clock.now += timedelta(seconds=31)
    assert (await relay.relay_outbox(RelayRequest())).sent == 3
    assert sorted(m["Message-ID"] for m in sink.messages) == sorted(row(engine, k).message_id for k in keys)
    server.stop()  # an hour's outage: the notice waits out doubling backoffs and is never lost
    late = queue(engine)
    for _ in range(7):
        await relay.relay_outbox(RelayRequest())
        clock.now += timedelta(minutes=30)
    assert row(engine, late).status == "queued" and row(engine, late).attempts == 7
    server.start()
    await relay.relay_outbox(RelayRequest())
    assert row(engine, late).status == "sent" and len(sink.messages) == 4


async def test_a_crash_between_sending_and_recording_sends_again_with_the_same_message_id(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink, _, settings = smtp
    key = queue(engine)
    relay = OutboxActivities(engine, settings)

    def crash(*args: Any) -> None:
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(relay, "record_sent", crash)
    with pytest.raises(RuntimeError, match="died"):
        await relay.relay_outbox(RelayRequest())
    monkeypatch.undo()
    monkeypatch.setattr(outbox, "utc_now", clock)
    assert len(sink.messages) == 1 and row(engine, key).status == "queued"
    assert (await relay.relay_outbox(RelayRequest())).sent == 0  # leased to the relay that died
    clock.now += outbox.LEASE + timedelta(seconds=1)
    assert (await relay.relay_outbox(RelayRequest())).sent == 1
    assert [m["Message-ID"] for m in sink.messages] == [row(engine, key).message_id] * 2  # one message, twice


async def test_two_relays_at_once_send_each_notice_once(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    sink, _, settings = smtp
    keys = [queue(engine) for _ in range(6)]
    first, second = OutboxActivities(engine, settings), OutboxActivities(engine, settings)
    results = await asyncio.gather(first.relay_outbox(RelayRequest()), second.relay_outbox(RelayRequest()))
    assert sum(r.sent for r in results) == 6 and len(sink.messages) == 6
    assert sorted(m["Message-ID"] for m in sink.messages) == sorted(row(engine, k).message_id for k in keys)


def test_recipients_are_routed_by_what_they_are(engine: Engine) -> None:
    from tooling.users import add_user

    add_user(engine, "u.one", "Исполнитель", ["executor"], "culture-dept", "long enough password", email="u1@akimat.kz")
    assert outbox.route(engine, "a@b.kz") == outbox.Route("email", "a@b.kz")
    assert outbox.route(engine, "+7 701 555 00 00") == outbox.Route("sms", "+77015550000")
    assert outbox.route(engine, "department-controller") == outbox.Route("email", "control@akimat.example.kz")
    assert outbox.route(engine, "roads-dept") == outbox.Route("email", "roads@akimat.example.kz")  # its mailbox
    assert outbox.route(engine, "culture-dept") == outbox.Route("email", "u1@akimat.kz")  # none: its users
    assert outbox.route(engine, "г. Алматы, ул. Абая 1, кв. 2").channel == "paper"
    nowhere = outbox.route(engine, "sports-dept")
    assert nowhere.channel == "" and "no address for 'sports-dept'" in nowhere.why


async def test_an_appeal_s_acknowledgement_reaches_the_mailbox_through_the_relay_workflow(
    client: Client, worker: Worker, engine: Engine, smtp: tuple[Sink, Server, SmtpSettings]
) -> None:
    """Registered on the server; the relay's workflow (as its Schedule starts it) sends what the
    case wrote to the outbox; the case itself never waited for it."""
    from tests.factories import appeal_dict
    from tests.scenario import registration, until_state
    from workflows.outbox_relay import OutboxRelayWorkflow

    sink, _, settings = smtp
    data = appeal_dict(contacts={"email": "aigul@example.kz", "phone": "", "address": ""}, language="ru")
    handle = await client.start_workflow(
        "AppealWorkflow", await registration(client, data), id=data["reg_number"], task_queue=worker.task_queue
    )
    await until_state(handle, "routed")
    relay_queue = f"relay-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=relay_queue,
        workflows=[OutboxRelayWorkflow],
        activities=[OutboxActivities(engine, settings).relay_outbox],
    ):
        done = await client.execute_workflow(
            OutboxRelayWorkflow.run, None, id=f"outbox-relay-{uuid.uuid4()}", task_queue=relay_queue
        )
    assert done.sent >= 1
    acknowledgement = [m for m in sink.messages if m["To"] == "aigul@example.kz"]
    assert len(acknowledgement) == 1 and data["reg_number"] in str(acknowledgement[0]["X-Appeal-Number"])
    assert acknowledgement[0]["Content-Language"] == "ru"


async def test_a_controller_corrects_the_address_and_sends_again_recorded_and_an_executor_may_not(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    from models.registry import EventRecord
    from tooling.outbox import OutboxError, pending, resend
    from tooling.seal import Identity

    sink, _, settings = smtp
    sink.refuse = "550 5.1.1 No such mailbox"
    key = queue(engine, recipient="aigul@exmaple.kz")  # a typo in the contact
    relay = OutboxActivities(engine, settings)
    await relay.relay_outbox(RelayRequest())
    assert [p.key for p in pending(engine, "APL-2026-000042", ("failed",))] == [key]
    executor = Identity("e.one", "Исполнитель", ["executor"], "housing-dept")
    with pytest.raises(OutboxError, match="may not send notices again"):
        resend(engine, executor, "ui_session", "APL-2026-000042", key, "aigul@example.kz")
    assert row(engine, key).status == "failed"  # refused: nothing changed
    controller = Identity("c.one", "Контролёр", ["controller"])
    assert resend(engine, controller, "cli", "APL-2026-000042", key, "aigul@example.kz") == [key]
    sink.refuse = ""
    await relay.relay_outbox(RelayRequest())
    again = row(engine, key)
    assert (again.status, again.address, again.attempts) == ("sent", "aigul@example.kz", 1)
    with Session(engine) as session:
        event = session.exec(select(EventRecord).where(EventRecord.trigger == "notice_resent")).one()
    assert (event.actor_id, event.auth) == ("c.one", "cli") and '"was": "aigul@exmaple.kz"' in event.detail
    with pytest.raises(OutboxError, match="no failed notice"):
        resend(engine, controller, "cli", "APL-2026-000042")


def test_notices_written_before_delivery_are_held_until_released(engine: Engine) -> None:
    from sqlalchemy import update

    from tooling.outbox import release_held
    from tooling.seal import Identity

    key = queue(engine)
    with Session(engine) as session:  # as the upgrade leaves the rows it found
        session.connection().execute(update(NotificationRecord).values(status="held"))
        session.commit()
    assert OutboxActivities(engine, None).due_count() == 0
    assert release_held(engine, Identity("h.one", "Руководитель", ["head"])) == 1
    assert row(engine, key).status == "queued" and OutboxActivities(engine, None).due_count() == 1


async def test_the_demo_s_mailbox_keeps_what_the_relay_sends(engine: Engine, tmp_path: Any) -> None:
    from tooling.mail_sink import messages, start_mail_sink

    port = free_port()
    sink = start_mail_sink(tmp_path / "demo-mail", port)
    try:
        key = queue(engine)
        await OutboxActivities(engine, SmtpSettings("127.0.0.1", port, "none")).relay_outbox(RelayRequest())
    finally:
        sink.stop()
    [kept] = messages(tmp_path / "demo-mail")
    assert kept["Message-ID"] == row(engine, key).message_id and kept["To"] == "aigul@example.kz"


async def test_the_answer_goes_with_its_official_letter_as_a_pdf_whose_digest_the_registry_keeps(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock
) -> None:
    import hashlib
    import io

    from pypdf import PdfReader

    sink, _, settings = smtp
    context = {
        "reg_number": "APL-2026-000042", "applicant_name": "Айгүл Сәрсенова",
        "applicant_address": "Алматы, Шұғыла ш/а, 12-үй", "received_at": "2026-12-03T10:00:00+05:00",
        "deadline": "2026-12-24", "answer_text": "Су құбыры 15 желтоқсанға дейін жөнделеді.",
        "answer_character": "satisfied", "signed_by": "Б. Омаров", "signed_role": "head",
        "signed_on": "2026-12-10T06:00:00+00:00",
    }  # fmt: skip
    key = "APL-2026-000042:answer_letter:approve-5"
    request = NotificationRequest("APL-2026-000042", key, "aigul@example.kz", "answer_letter", "kk", context)
    NotificationActivities(engine).send_notification(request)
    await OutboxActivities(engine, settings).relay_outbox(RelayRequest())
    [received] = sink.messages
    [attached] = [p for p in received.walk() if p.get_content_type() == "application/pdf"]
    assert attached.get_filename() == "APL-2026-000042-answer_letter.pdf"
    pdf = attached.get_payload(decode=True)
    assert isinstance(pdf, bytes)
    from activities.pdf_letters import letter_of

    kept = letter_of(engine, key)
    assert kept is not None and kept[1] == hashlib.sha256(pdf).hexdigest()  # delivered = approved
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "ОБЛЫС ӘКІМІНІҢ АППАРАТЫ", "Жеке және заңды тұлғалардың өтініштерімен жұмыс бөлімі", "APL-2026-000042",
        "10.12.2026", "Айгүл Сәрсенова", "Шұғыла", "Су құбыры 15 желтоқсанға дейін жөнделеді", "Б. Омаров",
        "Бет 1 / 1",
    ):  # fmt: skip
        assert expected in text, expected
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}  # type: ignore[index]
    assert fonts and all("DejaVu" in f for f in fonts)  # the font with every Kazakh letter, embedded
    assert received["Content-Language"] == "kk"


class Gateway:
    """A small SMS gateway on this machine: records each request, answers as told."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                gateway.requests.append((dict(self.headers), json.loads(self.rfile.read(length))))
                answer = json.dumps({"id": f"gw-{len(gateway.requests)}"}).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    running = Gateway()
    yield running
    running.server.shutdown()


def test_cyrillic_sms_counts_ucs2_segments_and_is_capped() -> None:
    from activities.sms import capped, segments

    assert segments("APL-2026-000042 registered").encoding == "gsm7"
    assert segments("a" * 160).count == 1 and segments("a" * 161).count == 2
    assert segments("ә" * 70) == segments("ә" * 70) and segments("ә" * 70).count == 1
    assert (segments("ә" * 71).count, segments("ә" * 134).count, segments("ә" * 135).count) == (2, 2, 3)
    assert segments("Өтініш қабылданды").encoding == "ucs2"  # Kazakh letters are not GSM-7
    long = capped("Сіздің өтінішіңіз тіркелді " * 20, 3)
    assert segments(long).count == 3 and long.endswith("…")


async def test_a_short_notice_goes_by_sms_and_the_gateway_s_report_marks_it_delivered(
    engine: Engine, gateway: Gateway, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from activities.sms import SmsSettings
    from web.app import create_app

    key = queue(engine, recipient="+7 701 555 00 00")
    relay = OutboxActivities(engine, None, SmsSettings(gateway.url, "gw-secret", "Akimat"))
    assert (await relay.relay_outbox(RelayRequest())).sent == 1
    [(headers, body)] = gateway.requests
    assert headers["Authorization"] == "Bearer gw-secret" and body["to"] == "+77015550000"
    assert body["from"] == "Akimat" and body["reference"] == key
    assert "APL-2026-000042" in body["text"] and body["text"].startswith(row(engine, key).subject)
    assert body["text"].endswith(status_url("APL-2026-000042"))  # where the applicant follows the case
    sent = row(engine, key)
    assert (sent.status, sent.channel, sent.message_id) == ("sent", "sms", "gw-1")

    monkeypatch.setenv("APPEALS_SMS_REPORT_TOKEN", "report-secret")
    transport = httpx.ASGITransport(app=create_app(engine=engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        forged = await http.post("/sms/reports", json={"id": "gw-1", "status": "delivered"})
        assert forged.status_code == 401 and row(engine, key).status == "sent"
        auth = {"Authorization": "Bearer report-secret"}
        stranger = await http.post("/sms/reports", json={"id": "gw-999", "status": "delivered"}, headers=auth)
        assert stranger.status_code == 404
        garbage = await http.post("/sms/reports", content=b"[1, 2]", headers=auth)
        assert garbage.status_code == 400 and "status" in garbage.text
        done = await http.post("/sms/reports", json={"id": "gw-1", "status": "delivered"}, headers=auth)
        assert done.status_code == 200 and done.json() == {"result": "delivered"}
    delivered = row(engine, key)
    assert delivered.status == "delivered" and delivered.delivered_at is not None


async def test_an_sms_the_gateway_refuses_or_cannot_take_now_is_failed_or_retried(
    engine: Engine, gateway: Gateway, clock: Clock
) -> None:
    from activities.sms import SmsSettings

    relay = OutboxActivities(engine, None, SmsSettings(gateway.url, "", "Akimat"))
    gateway.status = 503
    busy = queue(engine, recipient="+77015550001")
    assert (await relay.relay_outbox(RelayRequest())).retried == 1
    assert row(engine, busy).status == "queued" and "gateway 503" in row(engine, busy).last_error
    gateway.status = 400
    clock.now += timedelta(minutes=1)
    assert (await relay.relay_outbox(RelayRequest())).failed == 1
    assert row(engine, busy).status == "failed" and row(engine, f"{busy}:delivery_failed").recipient == (
        "department-controller"
    )


async def test_an_sms_waits_while_no_gateway_is_configured(engine: Engine, clock: Clock) -> None:
    key = queue(engine, recipient="+77015550002")
    result = await OutboxActivities(engine, None).relay_outbox(RelayRequest())
    assert result.waiting == 1 and row(engine, key).status == "queued"
    assert "waits for the sms channel" in row(engine, key).last_error
    assert (await OutboxActivities(engine, None).relay_outbox(RelayRequest())).waiting == 0  # not taken again


async def test_a_letter_to_a_postal_address_waits_for_the_post_goes_in_the_bundle_and_is_marked_posted(
    engine: Engine, smtp: tuple[Sink, Server, SmtpSettings], clock: Clock, tmp_path: Any
) -> None:
    import io
    from datetime import date

    from pypdf import PdfReader

    from models.registry import EventRecord
    from tooling.outbox import OutboxError
    from tooling.paper import mark_posted, print_bundle, print_queue
    from tooling.seal import Identity

    sink, _, settings = smtp
    key = queue(engine, recipient="г. Алматы, мкр. Шұғыла, д. 12, кв. 4")
    result = await OutboxActivities(engine, settings).relay_outbox(RelayRequest())
    assert (result.waiting, sink.messages) == (1, [])  # no e-mail: the print queue
    assert [n.key for n in print_queue(engine)] == [key] and "print queue" in row(engine, key).last_error
    path, count = print_bundle(engine, date(2026, 12, 3), tmp_path)
    assert count == 1 and path is not None and path.name == "paper-2026-12-03.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "03.12.2026" in text and "APL-2026-000042" in text and "Шұғыла" in text  # register and letter
    assert "Айгүл" in text
    executor = Identity("e.one", "Исполнитель", ["executor"], "housing-dept")
    with pytest.raises(OutboxError, match="may not record a posting"):
        mark_posted(engine, executor, "cli", key, "RR123456789KZ")
    registrar = Identity("r.one", "Регистратор", ["registrar"])
    with pytest.raises(OutboxError, match="tracking"):
        mark_posted(engine, registrar, "cli", key, " ")
    posted = mark_posted(engine, registrar, "cli", key, "RR123456789KZ")
    assert (posted.status, posted.message_id, posted.sent) == ("sent", "RR123456789KZ", True)
    assert print_queue(engine) == [] and print_bundle(engine, date(2026, 12, 4), tmp_path) == (None, 0)
    with pytest.raises(OutboxError, match="not a letter waiting"):
        mark_posted(engine, registrar, "cli", key, "RR123456789KZ")  # posted once
    with Session(engine) as session:
        event = session.exec(select(EventRecord).where(EventRecord.trigger == "notice_posted")).one()
    assert event.actor_id == "r.one" and "RR123456789KZ" in event.detail


async def test_an_approved_answer_keeps_its_official_letter_with_the_move_that_wrote_it(
    client: Client, worker: Worker, engine: Engine
) -> None:
    """The answer letter is written by the approval's own commit (not a notice of its own): its PDF
    is kept with it there, so the relay has a letter to attach."""
    from activities.pdf_letters import letter_of
    from tests.scenario import accepted, answer, move

    handle = await accepted(client, worker, "housing-dept", category="housing", district="almaly")
    await answer(handle, "housing-dept", "Кровля будет отремонтирована.", "satisfied")
    await move(handle, "approve", "head-1", "head")
    with Session(engine) as session:
        letters = session.exec(
            select(NotificationRecord.key).where(
                NotificationRecord.reg_number == handle.id, NotificationRecord.template == "answer_letter"
            )
        ).all()
    assert len(letters) == 1
    kept = letter_of(engine, letters[0])
    assert kept is not None and kept[0].startswith(b"%PDF") and len(kept[1]) == 64
