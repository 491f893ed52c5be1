"""The intake API (issue 25) against a real Temporal dev server and worker: a portal registers an
appeal with its key, a retry is the same case, another body under the same id is refused, every bad
field is an RFC 9457 problem naming the field and the rule, Temporal down is a 503 that registers
nothing, files come with the appeal by multipart and are kept by their digest."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from models.case_status import CaseStatus
from models.intake import AttachmentRecord, IntakeRecord
from models.registry import CaseRecord, EventRecord
from runtime.status_access import code_matches
from tests.conftest import Served
from tests.factories import valid_iin
from tooling.intake import add_channel
from web.app import create_app
from web.rate_limit import RateLimit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Intake:
    served: Served
    key: str
    address: str

    def client(self, key: str | None = None, address: str | None = None) -> httpx.AsyncClient:
        app = create_app(engine=self.served.engine, temporal_address=address or self.address)
        headers = {"Authorization": f"Bearer {self.key if key is None else key}"} if key != "" else {}
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", headers=headers)


@pytest.fixture
async def intake(served: Served, dev_env: Any) -> AsyncIterator[Intake]:
    """A channel on a fresh registry whose numbers no earlier test of the module (one dev server) took."""
    from models.registry import RegistrationCounter
    from policies.calendar import local_year

    with Session(served.engine) as session:
        session.add(RegistrationCounter(prefix="APL", year=local_year(), last=secrets.randbelow(900_000) + 50_000))
        session.commit()
    key = add_channel(served.engine, "egov-portal", "Портал eGov", "eotinish")
    yield Intake(served, key, dev_env.client.service_client.config.target_host)


def appeal(**overrides: Any) -> dict[str, Any]:
    body = {
        "external_id": f"egov-{uuid.uuid4()}",
        "type": "application",
        "language": "ru",
        "applicant": {"kind": "person", "name": "Айгерим Садыкова", "iin": valid_iin()},
        "contacts": {"email": "aigerim@example.kz"},
        "category": "housing",
        "district": "almaly",
        "text": "Протекает крыша дома по ул. Абая, 1.",
    }
    body.update(overrides)
    return body


def count(served: Served, table: Any) -> int:
    with Session(served.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


async def status_of(served: Served, dev_env: Any, number: str) -> CaseStatus:
    """The case's status once its registration planned the term."""
    import asyncio

    handle = dev_env.client.get_workflow_handle(number)
    for _ in range(200):
        try:
            st: CaseStatus = await handle.query("status", result_type=CaseStatus)
            if st.state != "registered":  # routed: its card is written
                return st
        except Exception:  # not yet running
            pass
        await asyncio.sleep(0.05)
    described = await handle.describe()
    raise AssertionError(f"{number} never registered: {described.status} {await handle.result()}")


async def test_a_portal_registers_an_appeal_and_a_retry_is_the_same_case(intake: Intake, dev_env: Any) -> None:
    body = appeal()
    async with intake.client() as http:
        first = await http.post("/api/v1/appeals", json=body)
        assert first.status_code == 201, first.text
        answer = first.json()
        number = answer["reg_number"]
        assert first.headers["Location"] == f"/api/v1/appeals/{number}"
        again = await http.post("/api/v1/appeals", json=body)  # a portal's retry after a timeout
        assert again.status_code == 200 and again.json() == answer and again.headers["Idempotent-Replayed"] == "true"
        other = await http.post("/api/v1/appeals", json={**body, "text": "Другое обращение."})
        assert other.status_code == 409 and other.headers["content-type"] == "application/problem+json"
        keyed = await http.post(
            "/api/v1/appeals", json={k: v for k, v in body.items() if k != "external_id"},
            headers={"Idempotency-Key": body["external_id"]},
        )  # fmt: skip
        assert keyed.status_code == 200 and keyed.json()["reg_number"] == number  # the header is the same id
        st = await status_of(intake.served, dev_env, number)
        standing = await http.get(f"/api/v1/appeals/{number}")
    assert st.deadline == answer["due_date"]  # the legal term, as the workflow planned it
    assert answer["registered_on"] and answer["received_at"].endswith("+05:00")
    assert code_matches(number, answer["status_url"].split("code=")[1]) and number in answer["status_url"]
    assert count(intake.served, IntakeRecord) == 1
    with Session(intake.served.engine) as session:
        cards = session.exec(select(CaseRecord).where(CaseRecord.reg_number == number)).all()
        registered = session.exec(
            select(EventRecord).where(EventRecord.reg_number == number, EventRecord.trigger == "register")
        ).one()
    assert len(cards) == 1 and cards[0].channel == "eotinish"
    assert (registered.actor_id, registered.actor_name, registered.actor_role) == (
        "channel:egov-portal", "Портал eGov", "channel",
    )  # fmt: skip  # the trail: registered via the portal
    assert standing.status_code == 200 and standing.json()["state"] in ("registered", "routed")
    assert standing.json()["due_date"] == answer["due_date"] and standing.json()["delivered"] is False


async def test_every_bad_field_is_a_problem_naming_the_field_and_nothing_is_registered(intake: Intake) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({k: v for k, v in appeal().items() if k != "type"}, 422, "type"),
        (appeal(applicant={"kind": "person", "name": "А", "iin": "900101300016"}), 422, "applicant.iin"),
        (appeal(category="volcanoes"), 422, "category"),
        (appeal(language="en"), 422, "language"),
        (appeal(colour="red"), 422, "colour"),
        (appeal(text=""), 422, "text"),
        (appeal(external_id=""), 422, "external_id"),
        (appeal(contacts={"email": "not-an-address"}), 422, "contacts.email"),
        (appeal(received_at="yesterday"), 422, "received_at"),
        (appeal(attachments=[{"name": "a.pdf", "size_bytes": 3, "sha256": "0" * 64}]), 422, "attachments"),
    ]
    async with intake.client() as http:
        for body, code, field in cases:
            answer = await http.post("/api/v1/appeals", json=body)
            assert answer.status_code == code, (field, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"] == "application/problem+json"
            assert problem["status"] == code and problem["errors"][0]["field"] == field, (field, problem)
            assert problem["errors"][0]["rule"] and "Traceback" not in answer.text
            assert problem["errors"][0]["pointer"] == "#/" + field.replace(".", "/")
        not_json = await http.post("/api/v1/appeals", content=b"{nope", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400 and not_json.json()["type"].endswith("/not-json")
        form = await http.post("/api/v1/appeals", data={"a": "b"})
        assert form.status_code == 415
        huge = await http.post("/api/v1/appeals", json=appeal(text="x" * 300_000))
        assert huge.status_code == 413
    async with intake.client(key="") as anonymous:
        assert (await anonymous.post("/api/v1/appeals", json=appeal())).status_code == 401
    async with intake.client(key="ak_egov-portal_forged") as forged:
        assert (await forged.post("/api/v1/appeals", json=appeal())).status_code == 401
        assert (await forged.get("/api/v1/appeals/APL-2026-000001")).status_code == 401
    assert count(intake.served, IntakeRecord) == 0 and count(intake.served, CaseRecord) == 0  # no number taken


async def test_temporal_down_is_a_503_and_the_retry_registers_the_same_number_once(
    intake: Intake, dev_env: Any
) -> None:
    body = appeal()
    async with intake.client(address="127.0.0.1:1") as down:
        refused = await down.post("/api/v1/appeals", json=body)
    assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
    assert refused.headers["content-type"] == "application/problem+json"
    assert count(intake.served, CaseRecord) == 0  # nothing half-registered
    with Session(intake.served.engine) as session:
        pending = session.exec(select(IntakeRecord)).one()
    assert pending.state == "pending"
    from cli.audit import compliance_findings

    gaps = [f for f in compliance_findings(intake.served.engine, None) if f[0] == pending.reg_number]
    assert [f[1] for f in gaps] == ["number taken by a channel's registration that never started"]
    async with intake.client() as up:
        done = await up.post("/api/v1/appeals", json=body)
    assert done.status_code == 201 and done.json()["reg_number"] == pending.reg_number
    assert done.json()["received_at"].startswith(pending.received_at[:19])  # the first attempt's receipt
    await status_of(intake.served, dev_env, pending.reg_number)
    assert count(intake.served, CaseRecord) == 1


async def test_files_come_with_the_appeal_and_are_kept_by_their_digest(intake: Intake, dev_env: Any) -> None:
    import json

    body = appeal()
    files = [
        ("attachments", ("крыша.pdf", PDF, "application/pdf")),
        ("attachments", ("note.txt", b"photo", "text/plain")),
    ]
    async with intake.client() as http:
        lying = await http.post(
            "/api/v1/appeals", data={"appeal": json.dumps(body)},
            files=[("attachments", ("x.png", b"MZ\x90\x00", "image/png"))],
        )  # fmt: skip
        assert lying.status_code == 422 and lying.json()["errors"][0]["field"] == "attachments[1]"
        exe = await http.post(
            "/api/v1/appeals", data={"appeal": json.dumps(body)},
            files=[("attachments", ("x.exe", b"MZ\x90\x00", "application/x-msdownload"))],
        )  # fmt: skip
        assert exe.status_code == 422 and "not accepted" in exe.json()["detail"]
        done = await http.post("/api/v1/appeals", data={"appeal": json.dumps(body)}, files=files)
        assert done.status_code == 201, done.text
    number = done.json()["reg_number"]
    with Session(intake.served.engine) as session:
        kept = session.exec(select(AttachmentRecord).where(AttachmentRecord.reg_number == number)).all()
    assert {(k.name, k.sha256, k.size_bytes) for k in kept} == {
        ("крыша.pdf", hashlib.sha256(PDF).hexdigest(), len(PDF)),
        ("note.txt", hashlib.sha256(b"photo").hexdigest(), 5),
    }
    history = await dev_env.client.get_workflow_handle(number).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert PDF not in started.data and len(started.data) < 8_000  # metadata only, never the file
    await status_of(intake.served, dev_env, number)
    # The executor sees the files on the case's page in the workbench; an auditor sees that there are some.
    from tooling.users import add_user
    from tooling.users import log_in as open_session

    for user, role in (("exe.files", "executor"), ("aud.files", "auditor")):
        add_user(intake.served.engine, user, user, [role], "housing-dept", "long enough password")
    pages = {}
    for user in ("exe.files", "aud.files"):
        cookies = {"appeals_session": open_session(intake.served.engine, user, "long enough password", "ui_session")}
        async with intake.client(key="") as http:
            http.cookies.update(cookies)
            page = await http.get(f"/work/case/{number}")
            file = await http.get(f"/work/case/{number}/attachments/{hashlib.sha256(PDF).hexdigest()}")
        pages[user] = (page.text, file)
    assert "крыша.pdf" in pages["exe.files"][0] and pages["exe.files"][1].content == PDF
    assert "крыша.pdf" not in pages["aud.files"][0] and pages["aud.files"][1].status_code == 404


async def test_a_channel_sees_only_its_own_appeals(intake: Intake, served: Served) -> None:
    other = add_channel(served.engine, "city-app", "Городское приложение")
    async with intake.client() as http:
        number = (await http.post("/api/v1/appeals", json=appeal())).json()["reg_number"]
    async with intake.client(key=other) as stranger:
        assert (await stranger.get(f"/api/v1/appeals/{number}")).status_code == 404


async def test_the_openapi_document_is_generated_from_the_models_the_requests_are_parsed_into(intake: Intake) -> None:
    async with intake.client(key="") as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    schema = document["components"]["schemas"]["ChannelAppeal"]
    assert document["openapi"].startswith("3.1") and "/api/v1/appeals" in document["paths"]
    assert schema["required"] == ["type"]  # the rest have defaults, and rules checked when parsed
    assert schema["properties"]["language"]["enum"] == ["kk", "ru"]
    assert schema["properties"]["text"]["maxLength"] == 20_000 and schema["additionalProperties"] is False
    assert schema["properties"]["applicant"]["properties"]["kind"]["enum"] == ["person", "company", "anonymous"]
    assert "Problem" in document["components"]["schemas"]


def test_a_rate_limit_counts_a_minute_and_says_how_long_to_wait() -> None:
    limit = RateLimit(3)
    assert [limit.wait("portal", now=t) for t in (0.0, 1.0, 2.0)] == [0, 0, 0]
    assert limit.wait("portal", now=10.0) == 50  # the first of the three leaves the window at 60 s
    assert limit.wait("another", now=10.0) == 0  # counted per key
    assert limit.wait("portal", now=60.5) == 0


def test_a_channel_is_added_and_disabled_from_the_cli_and_its_key_kept_only_as_a_hash(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    from models.intake import ChannelRecord
    from models.registry import make_engine
    from tooling.intake import channel_of_key

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'r.db'}")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "starter.py", *args], capture_output=True, text=True, env=env, timeout=60
        )

    added = cli("channels", "add", "egov-portal", "--name", "Портал eGov", "--appeal-channel", "eotinish")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    engine = make_engine(env["DATABASE_URL"])
    found = channel_of_key(engine, key)
    assert found is not None and (found.id, found.appeal_channel) == ("egov-portal", "eotinish")
    with Session(engine) as session:
        stored = session.get(ChannelRecord, "egov-portal")
    assert (
        stored is not None
        and key not in stored.key_hash
        and stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    )
    assert cli("channels", "add", "Bad Id", "--name", "x").returncode != 0
    assert cli("channels", "add", "x-portal", "--name", "x", "--appeal-channel", "pigeon").returncode != 0
    assert cli("channels", "disable", "egov-portal").returncode == 0
    assert channel_of_key(engine, key) is None  # a disabled channel's key opens nothing


def test_the_readme_s_curl_example_is_a_valid_registration() -> None:
    """The body the README shows a portal sending passes the same checks the API makes."""
    import json
    import re
    from pathlib import Path

    from models.intake_api import ChannelAppeal
    from models.schema import parse_object
    from tooling.registering import checked
    from workflows.kinds import BY_NAME

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    found = re.search(r"-d '(\{.*?\})'", readme, re.S)
    assert found is not None
    example = parse_object(ChannelAppeal, json.loads(found.group(1)), "appeal")
    checked(BY_NAME["appeal"], example.as_import("eotinish", "Портал eGov", "2026-12-03T10:00:00+05:00", "Аким"))


async def test_a_channel_may_authenticate_with_its_client_credentials_token(
    intake: Intake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAuth2 client credentials: the organisation's identity provider issues the portal an access
    token; the API takes it instead of the key, if it names the channel's client and the scope."""
    from tests.test_identity import provider
    from tooling.oidc import AUDIENCE_ENV, ISSUER_ENV, JWKS_ENV, OidcSettings

    settings = OidcSettings("https://idp.akimat.example.kz/realms/gov", "appeals-api", str(tmp_path / "jwks.json"))
    for name, value in ((ISSUER_ENV, settings.issuer), (AUDIENCE_ENV, settings.audience), (JWKS_ENV, settings.jwks)):
        monkeypatch.setenv(name, value)
    token = provider(settings)
    add_channel(intake.served.engine, "egov-portal", "Портал eGov", "eotinish", oauth_client="egov-portal-sa")
    good = token(client_id="egov-portal-sa", scope="appeals.register profile")
    cases = [
        (good, 201),
        (token(client_id="egov-portal-sa", scope="profile"), 403),  # not granted the scope
        (token(client_id="someone-else", scope="appeals.register"), 403),  # not a channel
        (token(client_id="egov-portal-sa", scope="appeals.register", aud="another-api"), 401),
        (token(client_id="egov-portal-sa", scope="appeals.register", exp=1), 401),  # expired
        (good[:-6] + "AAAAAA", 401),  # its signature broken
    ]
    for bearer, code in cases:
        async with intake.client(key=bearer) as http:
            answer = await http.post("/api/v1/appeals", json=appeal())
        assert answer.status_code == code, (code, answer.text)
