"""The applicant's status page (issue 25) in Chromium against a real dev server: the link from the
registration's answer (and the acknowledgement) opens the appeal in Russian and Kazakh with no
personal data; a wrong code opens nothing; once the answer is delivered the page says so and gives
its letter as PDF; guessing is throttled."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

import web.serve as codec_server
from models.registry import NotificationRecord
from runtime.status_access import PUBLIC_URL_ENV, access_code
from tests.conftest import Served
from tests.scenario import hand_over, move
from tests.test_intake_api import appeal, status_of
from tests.test_web_ui import CHROMIUM, browser_installed, free_port  # noqa: F401  (the fixture applies here)
from tests.test_workbench import browsing, shot
from tooling.intake import add_channel
from web.intake.status_page import words
from web.workbench.words import Words


@pytest.fixture
async def site(dev_env: WorkflowEnvironment, served: Served, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    import secrets

    from models.registry import RegistrationCounter
    from policies.calendar import local_year

    with Session(served.engine) as session:
        session.add(RegistrationCounter(prefix="APL", year=local_year(), last=secrets.randbelow(900_000) + 50_000))
        session.commit()
    port = free_port()
    monkeypatch.setenv(PUBLIC_URL_ENV, f"http://127.0.0.1:{port}")
    address = dev_env.client.service_client.config.target_host
    http = codec_server.serve(port, (), engine=served.engine, temporal_address=address)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.shutdown()


async def test_the_applicant_follows_the_appeal_to_its_answer_in_both_languages(
    site: str, served: Served, dev_env: WorkflowEnvironment
) -> None:
    key = add_channel(served.engine, "egov-portal", "Портал eGov", "eotinish")
    body = appeal()
    async with httpx.AsyncClient(base_url=site, headers={"X-API-Key": key}) as http:
        registered = (await http.post("/api/v1/appeals", json=body)).json()
    number, link = registered["reg_number"], registered["status_url"]
    assert link.startswith(f"{site}/status/{number}?code=") and len(link.split("code=")[1]) >= 26  # >= 128 bits
    st = await status_of(served, dev_env, number)
    with Session(served.engine) as session:
        acknowledgement = session.exec(
            select(NotificationRecord).where(
                NotificationRecord.reg_number == number, NotificationRecord.template == "acknowledgement"
            )
        ).one()
    assert link in acknowledgement.body  # the applicant has it from the acknowledgement too
    ru, kk = words()["ru"], words()["kk"]
    async with browsing() as page:
        await page.goto(link)
        await shot(page, "")
        text = await page.locator("main").inner_text()
        assert f"{ru['appeal']} {number}" in text and Words("ru").state("appeal", st.state) in text
        assert ru["no_answer"] in text and st.deadline[8:10] in text
        for private in (body["applicant"]["name"], body["applicant"]["iin"], body["contacts"]["email"], "Абая"):
            assert private not in await page.content()  # nothing the code's holder did not tell us
        await page.get_by_role("link", name="Қазақша").click()
        text = await page.locator("main").inner_text()
        assert await page.evaluate("document.documentElement.lang") == "kk"
        assert f"{kk['appeal']} {number}" in text and Words("kk").state("appeal", st.state) in text
        await page.goto(f"{site}/status/{number}?code={access_code(number)[:-1]}x")
        assert ru["not_found"] in await page.locator("main").inner_text()  # a wrong code opens nothing

        handle = dev_env.client.get_workflow_handle(number)
        await move(handle, "accept", st.executor, "executor")
        answer = {"answer_text": "Кровлю отремонтируют в мае.", "answer_character": "satisfied"}
        await move(handle, "submit_answer", st.executor, "executor", **answer)
        approved = await move(handle, "approve", "head-1", "head")
        await page.goto(link)
        assert ru["approved"] in await page.locator("main").inner_text()
        await hand_over(handle, approved)
        await page.goto(link)
        text = await page.locator("main").inner_text()
        assert ru["delivered"].split("{when}")[0] in text and Words("ru").state("appeal", "closed") in text
        pdf = await page.request.get(f"{site}/status/{number}/answer.pdf?code={access_code(number)}")
        assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF")
        assert (await page.request.get(f"{site}/status/{number}/answer.pdf?code=nope")).status == 404


async def test_guessing_codes_is_throttled(site: str) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        answers = [(await http.get(f"/status/APL-2026-000001?code={i:032d}")).status_code for i in range(40)]
    assert answers[0] == 404 and 429 in answers
    limited = answers.index(429)
    assert limited <= 31 and all(code == 429 for code in answers[limited:])  # 30 a minute per address
