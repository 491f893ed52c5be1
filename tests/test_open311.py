"""Open311 GeoReport v2 (issue 25), read with `georeport` from PyPI (a client nobody here wrote) as a
city app would, against the web application and a real Temporal dev server. `georeport` reads
services, definitions and requests in JSON and XML; it does not create requests, so a POST is sent
as the spec describes it (form-encoded, with the channel's api_key)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from georeport import GeoReport
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

import web.serve as codec_server
from models.registry import CaseRecord
from policies.routing import categories, category_name
from tests.conftest import Served
from tests.factories import valid_iin  # noqa: F401
from tests.test_intake_api import status_of
from tests.test_web_ui import free_port
from tooling.intake import add_channel


@pytest.fixture
async def city(dev_env: WorkflowEnvironment, served: Served) -> AsyncIterator[tuple[str, str]]:
    import secrets

    from models.registry import RegistrationCounter
    from policies.calendar import local_year

    with Session(served.engine) as session:
        session.add(RegistrationCounter(prefix="APL", year=local_year(), last=secrets.randbelow(900_000) + 50_000))
        session.commit()
    key = add_channel(served.engine, "city-app", "Городское приложение «Алматы»")
    port = free_port()
    address = dev_env.client.service_client.config.target_host
    http = codec_server.serve(port, (), engine=served.engine, temporal_address=address)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/open311/v2", key
    finally:
        http.shutdown()


def report(key: str, **overrides: str) -> dict[str, str]:
    form = {
        "api_key": key,
        "service_code": "roads",
        "description": "Яма на дороге у остановки, опасно для машин.",
        "address_string": "г. Алматы, Медеуский район, пр. Достык, 100",
        "lat": "43.2389",
        "long": "76.9456",
        "first_name": "Данияр",
        "last_name": "Касымов",
        "email": "daniyar@example.kz",
    }
    form.update(overrides)
    return form


async def test_a_city_app_reads_services_and_follows_its_requests(
    city: tuple[str, str], served: Served, dev_env: WorkflowEnvironment
) -> None:
    root, key = city
    client, xml = GeoReport(root), GeoReport(root, output_format="xml")
    listed = await asyncio.to_thread(client.get_service_list)
    assert [s["service_code"] for s in listed] == categories()
    assert listed[0]["service_name"] == category_name(listed[0]["service_code"], "ru")
    assert [s["service_code"] for s in await asyncio.to_thread(xml.get_service_list)] == categories()
    definition = await asyncio.to_thread(client.get_service_definition, "roads")
    assert definition == {"service_code": "roads", "attributes": []}
    async with httpx.AsyncClient(base_url=root) as http:
        kazakh = (await http.get("/services.json", params={"lang": "kk"})).json()
        assert kazakh[0]["service_name"] == category_name(kazakh[0]["service_code"], "kk")
        posted = await http.post("/requests.json", data=report(key))
        assert posted.status_code == 201, posted.text
        [created] = posted.json()
        again = await http.post("/requests.json", data=report(key))  # the app's retry: the same request
        assert again.json()[0]["service_request_id"] == created["service_request_id"]
        nowhere = await http.post("/requests.json", data=report(key, address_string="где-то"))
        assert nowhere.status_code == 400 and nowhere.json()[0]["description"].startswith("district")
        unknown = await http.post("/requests.json", data=report(key, service_code="volcanoes"))
        assert unknown.status_code == 400 and "category" in unknown.json()[0]["description"]
        forged = await http.post("/requests.xml", data=report("ak_city-app_forged"))
        assert forged.status_code == 401 and b"<errors><error><code>401</code>" in forged.content
    number = created["service_request_id"]
    assert created["service_notice"] and number.startswith("APL-")
    await status_of(served, dev_env, number)
    with Session(served.engine) as session:
        card = session.get(CaseRecord, number)
    assert card is not None and (card.category, card.district) == ("roads", "medeu")

    one = await asyncio.to_thread(client.get_service_request, number)
    assert (one["service_request_id"], one["status"], one["service_code"]) == (number, "open", "roads")
    assert one["expected_datetime"].startswith(card.deadline)  # the legal term
    assert one["agency_responsible"] and one["description"] is None  # no personal data in public
    opened = await asyncio.to_thread(client.get_service_requests, status="open")
    assert number in [r["service_request_id"] for r in opened]
    closed = await asyncio.to_thread(client.get_service_requests, status="closed")
    assert number not in [r["service_request_id"] for r in closed]
    other = await asyncio.to_thread(client.get_service_requests, service_code="housing")
    assert number not in [r["service_request_id"] for r in other]
    past = await asyncio.to_thread(
        client.get_service_requests, start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z"
    )
    assert past == []
    in_xml = await asyncio.to_thread(xml.get_service_request, number)
    assert in_xml["service_request_id"] == number and in_xml["status"] == "open"
    async with httpx.AsyncClient(base_url=root) as http:
        own = (await http.get(f"/requests/{number}.json", params={"api_key": key})).json()[0]
        assert "Яма на дороге" in own["description"]  # the channel that sent it sees its words
        too_long = await http.get("/requests.json", params={"start_date": "2026-01-01", "end_date": "2026-12-01"})
        assert too_long.status_code == 400
        missing = await http.get("/requests/APL-2026-000000.json")
        assert missing.status_code == 404


async def test_open311_xml_requests_list_is_what_the_library_parses(
    city: tuple[str, str], served: Any, dev_env: WorkflowEnvironment
) -> None:
    import re

    root, key = city
    async with httpx.AsyncClient(base_url=root) as http:
        created = await http.post("/requests.xml", data=report(key, description="Не горит фонарь во дворе."))
    assert created.status_code == 201 and b"<service_request_id>APL-" in created.content
    found = re.search(rb"<service_request_id>(APL-[\d-]+)<", created.content)
    assert found is not None
    await status_of(served, dev_env, found.group(1).decode())
    listed = await asyncio.to_thread(GeoReport(root, output_format="xml").get_service_requests)
    rows = listed if isinstance(listed, list) else [listed]
    assert any(r["service_code"] == "roads" for r in rows)
